// Package serving is the serving engine: the in-memory Index of one lake
// version (built from the blocks of Columns the lake reads, queried by page,
// filter and sort), and the Engine that keeps the newest version loaded (hot
// swap, poll and reload, readiness and outage logging, older versions for
// asOf) with the garbage collector paced for it. It reads the lake through
// the small Lake interface; graph and page read its Index.
package serving
