# figures.sh: sourced by the steps of scripts/bench-scale.d/ (not a step: not
# executable). A step keeps the figures it prints in $SCALE_DIR/<step>.figures
# ("name value" a line, the first "date YYYY-MM-DD"), and when this run is of
# another size than 1M ($SCALE_BESIDE_DIR set), prints the 1M run's figures,
# kept there by the same step, beside its own: the issue asks for "the 1M
# figures beside".
#
#   fig_init STEP          start the step's figures (call once, first)
#   fig_put NAME VALUE     keep one figure
#   fig_1m NAME            the 1M run's figure NAME ("—" if none)
#   fig_head COLUMNS...    a table's header and rule: the columns, with the 1M
#                          column after the first two when there is one
#   fig_row CELLS... NAME  a table row; its second cell is kept as figure NAME,
#                          and the 1M run's NAME is put after it

fig_init() {
	fig_file=$SCALE_DIR/$1.figures
	fig_beside=
	if [ -n "${SCALE_BESIDE_DIR:-}" ] && [ -f "$SCALE_BESIDE_DIR/$1.figures" ]; then
		fig_beside=$SCALE_BESIDE_DIR/$1.figures
	fi
	echo "date $(date -u +%Y-%m-%d)" >"$fig_file"
}

fig_put() { echo "$1 $2" >>"$fig_file"; }

fig_1m() {
	local v=
	[ -n "$fig_beside" ] && v=$(awk -v k="$1" '$1 == k {sub(/^[^ ]+ /, ""); print; exit}' "$fig_beside")
	echo "${v:-—}"
}

# fig_beside_note: a sentence saying where the 1M column comes from, or nothing.
fig_beside_note() {
	if [ -n "${SCALE_BESIDE_DIR:-}" ]; then
		if [ -n "$fig_beside" ]; then
			echo "The 1M column is the last 1M run of this step ($(fig_1m date), \`$fig_beside\`)."
		else
			echo "No 1M run of this step was found in \`$SCALE_BESIDE_DIR\` to put beside (run \`make bench-scale\` first)."
		fi
	fi
}

fig_head() {
	local cols=("$@")
	if [ -n "${SCALE_BESIDE_DIR:-}" ]; then
		cols=("${cols[0]}" "${cols[1]} ($SCALE_LABEL)" "1M" "${cols[@]:2}")
	fi
	local IFS='|'
	echo "|${cols[*]}|" | sed 's/|/ | /g; s/^ //; s/ $//'
	echo "|$(printf -- '---|%.0s' "${cols[@]}")"
}

fig_row() {
	local cells=("${@:1:$#-1}") name=${!#}
	fig_put "$name" "${cells[1]}"
	if [ -n "${SCALE_BESIDE_DIR:-}" ]; then
		cells=("${cells[0]}" "${cells[1]}" "$(fig_1m "$name")" "${cells[@]:2}")
	fi
	local IFS='|'
	echo "|${cells[*]}|" | sed 's/|/ | /g; s/^ //; s/ $//'
}
