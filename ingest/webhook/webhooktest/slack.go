package webhooktest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"unicode/utf8"
)

// CheckSlack checks body against the incoming-webhook message shape Slack
// documents (docs.slack.dev: "Sending messages using incoming webhooks",
// Block Kit reference "Blocks" and "Composition objects: text object"),
// written from those pages and not from the webhook package's types:
//
//   - the message is an object with text (a non-empty string) and blocks, and
//     no other key an incoming webhook would reject;
//   - at most 50 blocks, each with a type; this checks the three the
//     webhook sends: header (text: a plain_text object, at most 150
//     characters), section (text: a text object, 1 to 3,000 characters) and
//     context (elements: 1 to 10 text objects);
//   - a text object is {type: plain_text | mrkdwn, text}; in mrkdwn, '<' and
//     '>' appear only around a link <http(s)://…|label> and '&' only in the
//     escapes &amp; &lt; &gt;.
func CheckSlack(body []byte) error {
	var msg map[string]json.RawMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	for k := range msg {
		if k != "text" && k != "blocks" {
			return fmt.Errorf("unexpected top-level key %q", k)
		}
	}
	var text string
	if err := json.Unmarshal(msg["text"], &text); err != nil || text == "" {
		return fmt.Errorf("text: want a non-empty string")
	}
	if n := utf8.RuneCountInString(text); n > 3000 {
		return fmt.Errorf("text: %d characters", n)
	}
	var blocks []map[string]json.RawMessage
	if err := json.Unmarshal(msg["blocks"], &blocks); err != nil || len(blocks) == 0 {
		return fmt.Errorf("blocks: want a non-empty array of objects")
	}
	if len(blocks) > 50 {
		return fmt.Errorf("blocks: %d, at most 50", len(blocks))
	}
	for i, b := range blocks {
		if err := checkBlock(b); err != nil {
			return fmt.Errorf("blocks[%d]: %w", i, err)
		}
	}
	return nil
}

func checkBlock(b map[string]json.RawMessage) error {
	var typ string
	json.Unmarshal(b["type"], &typ)
	allowed := map[string][]string{"header": {"type", "text", "block_id"}, "section": {"type", "text", "block_id"},
		"context": {"type", "elements", "block_id"}}[typ]
	if allowed == nil {
		return fmt.Errorf("type %q: want header, section or context", typ)
	}
	for k := range b {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return fmt.Errorf("%s block: unexpected key %q", typ, k)
		}
	}
	switch typ {
	case "header":
		return checkText(b["text"], "plain_text", 150)
	case "section":
		return checkText(b["text"], "", 3000)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(b["elements"], &elems); err != nil || len(elems) == 0 || len(elems) > 10 {
		return fmt.Errorf("context elements: want 1 to 10")
	}
	for _, e := range elems {
		if err := checkText(e, "", 3000); err != nil {
			return err
		}
	}
	return nil
}

var (
	mrkdwnLink = regexp.MustCompile(`<https?://[^|<> ]+\|[^<>]+>`)
	mrkdwnAmp  = regexp.MustCompile(`&(amp|lt|gt);`)
)

// checkText checks a text object; want, if set, is the only type allowed.
func checkText(raw json.RawMessage, want string, maxLen int) error {
	var t map[string]json.RawMessage
	if err := json.Unmarshal(raw, &t); err != nil {
		return fmt.Errorf("text object: not an object")
	}
	var typ, text string
	json.Unmarshal(t["type"], &typ)
	if err := json.Unmarshal(t["text"], &text); err != nil {
		return fmt.Errorf("text object: text is not a string")
	}
	if typ != "plain_text" && typ != "mrkdwn" || want != "" && typ != want {
		return fmt.Errorf("text object type %q", typ)
	}
	if n := utf8.RuneCountInString(text); n == 0 || n > maxLen {
		return fmt.Errorf("%s text of %d characters: want 1 to %d", typ, n, maxLen)
	}
	for k := range t {
		if k != "type" && k != "text" && !(k == "emoji" && typ == "plain_text") && !(k == "verbatim" && typ == "mrkdwn") {
			return fmt.Errorf("text object: unexpected key %q", k)
		}
	}
	if typ == "mrkdwn" {
		bare := mrkdwnAmp.ReplaceAllString(mrkdwnLink.ReplaceAllString(text, ""), "")
		for _, c := range "<>&" {
			for _, r := range bare {
				if r == c {
					return fmt.Errorf("mrkdwn %q: unescaped %q", text, c)
				}
			}
		}
	}
	return nil
}
