package report

import (
	"fmt"
	"html"
	"strings"
)

// A report is built once as a small document tree and rendered twice: as
// GitHub-flavoured Markdown (report.md, fit for a pull-request comment) and as
// one self-contained HTML page with the figures inline (report.html). Both
// say the same thing because they come from the same blocks.

type spanKind uint8

const (
	spanText spanKind = iota
	spanCode
	spanBold
	spanLink
)

// span is a run of inline text.
type span struct {
	kind spanKind
	text string
	href string // spanLink only
}

// inline is a line of formatted text.
type inline []span

func txt(s string) span        { return span{kind: spanText, text: s} }
func code(s string) span       { return span{kind: spanCode, text: s} }
func bold(s string) span       { return span{kind: spanBold, text: s} }
func link(s, href string) span { return span{kind: spanLink, text: s, href: href} }

// line is a shorthand for an inline of plain text.
func line(s string) inline { return inline{txt(s)} }

type (
	heading struct {
		level int
		text  string
	}
	para struct{ text inline }
	// banner is what a reader must see before the numbers: the run's notes
	// or its warnings, one item each; a GitHub alert in Markdown.
	banner struct {
		kind  bannerKind
		items []inline
	}
	list  struct{ items []inline }
	table struct {
		head  []string
		right []bool // right-align column (numbers)
		rows  [][]inline
	}
	codeBlock struct{ text string }
	// details is a collapsible section: collapsed in Markdown (short PR
	// comments), open in HTML (and so printed).
	details struct {
		summary string
		body    []block
	}
	figureBlock struct {
		name, title, caption string
		svg                  []byte // inline SVG for HTML (prolog stripped)
	}
)

// block is one of the types above.
type block any

// bannerKind is a banner's severity.
type bannerKind uint8

const (
	bannerNote    bannerKind = iota // a statement about the run (e.g. synthetic data)
	bannerWarning                   // a situation in which a number may mislead
)

// title is the banner's heading in HTML, e.g. "Warnings (3)".
func (b banner) title() string {
	t := map[bannerKind]string{bannerNote: "Note", bannerWarning: "Warning"}[b.kind]
	if len(b.items) > 1 {
		t += fmt.Sprintf("s (%d)", len(b.items))
	}
	return t
}

// ---------- Markdown ----------

// mdEscaper escapes the characters that would start Markdown formatting or
// break a GFM table cell.
// A '|' only needs escaping inside a table; '<' is escaped everywhere so that
// no text becomes HTML in a pull-request comment.
var (
	mdEscaper = strings.NewReplacer(
		`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `<`, `&lt;`, `](`, `\](`,
	)
	mdCellEscaper = strings.NewReplacer(
		`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `<`, `&lt;`, `](`, `\](`, `|`, `\|`,
	)
)

func mdInline(b *strings.Builder, in inline, inTable bool) {
	esc := mdEscaper
	if inTable {
		esc = mdCellEscaper
	}
	for _, s := range in {
		switch s.kind {
		case spanCode:
			t := s.text
			if inTable {
				t = strings.ReplaceAll(t, "|", `\|`)
			}
			t = strings.ReplaceAll(t, "\n", " ")
			fence := "`"
			for strings.Contains(t, fence) {
				fence += "`"
			}
			if strings.HasPrefix(t, "`") || strings.HasSuffix(t, "`") {
				t = " " + t + " "
			}
			b.WriteString(fence + t + fence)
		case spanBold:
			b.WriteString("**" + esc.Replace(s.text) + "**")
		case spanLink:
			b.WriteString("[" + esc.Replace(s.text) + "](" + s.href + ")")
		default:
			b.WriteString(esc.Replace(s.text))
		}
	}
}

func renderMarkdown(blocks []block) string {
	var b strings.Builder
	for i, bl := range blocks {
		_, fig := bl.(figureBlock)
		prevFig := false
		if i > 0 {
			_, prevFig = blocks[i-1].(figureBlock)
		}
		if i > 0 && !(fig && prevFig) {
			b.WriteByte('\n')
		}
		mdBlock(&b, bl)
	}
	return b.String()
}

func mdBlock(b *strings.Builder, bl block) {
	switch x := bl.(type) {
	case heading:
		b.WriteString(strings.Repeat("#", x.level) + " " + mdEscaper.Replace(x.text) + "\n")
	case para:
		mdInline(b, x.text, false)
		b.WriteByte('\n')
	case banner:
		// A GitHub alert: rendered as a coloured box with a title on
		// GitHub, a plain block quote elsewhere.
		b.WriteString(map[bannerKind]string{bannerNote: "> [!NOTE]\n", bannerWarning: "> [!WARNING]\n"}[x.kind])
		for _, it := range x.items {
			b.WriteString("> ")
			if len(x.items) > 1 {
				b.WriteString("- ")
			}
			mdInline(b, it, false)
			b.WriteByte('\n')
		}
	case list:
		for _, it := range x.items {
			b.WriteString("- ")
			mdInline(b, it, false)
			b.WriteByte('\n')
		}
	case table:
		b.WriteString("|")
		for _, h := range x.head {
			b.WriteString(" " + mdCellEscaper.Replace(h) + " |")
		}
		b.WriteString("\n|")
		for i := range x.head {
			if i < len(x.right) && x.right[i] {
				b.WriteString(" ---: |")
			} else {
				b.WriteString(" --- |")
			}
		}
		b.WriteByte('\n')
		for _, r := range x.rows {
			b.WriteString("|")
			for _, c := range r {
				b.WriteByte(' ')
				mdInline(b, c, true)
				b.WriteString(" |")
			}
			b.WriteByte('\n')
		}
	case codeBlock:
		fence := "```"
		for strings.Contains(x.text, fence) {
			fence += "`"
		}
		b.WriteString(fence + "\n" + x.text + "\n" + fence + "\n")
	case details:
		b.WriteString("<details>\n<summary>" + html.EscapeString(x.summary) + "</summary>\n\n")
		b.WriteString(renderMarkdown(x.body))
		b.WriteByte('\n')
		b.WriteString("</details>\n")
	case figureBlock:
		b.WriteString("- ")
		mdInline(b, inline{bold(x.title + ":"), txt(" "), link("SVG", "plots/"+x.name+".svg"),
			txt(" · "), link("PNG", "plots/"+x.name+".png"), txt(" — " + x.caption)}, false)
		b.WriteByte('\n')
	case extBlock:
		x.markdown(b)
	default:
		panic(fmt.Sprintf("report: unknown block %T", bl))
	}
}

// ---------- HTML ----------

func htmlInline(b *strings.Builder, in inline) {
	for _, s := range in {
		t := html.EscapeString(s.text)
		switch s.kind {
		case spanCode:
			b.WriteString("<code>" + t + "</code>")
		case spanBold:
			b.WriteString("<strong>" + t + "</strong>")
		case spanLink:
			b.WriteString(`<a href="` + html.EscapeString(s.href) + `">` + t + "</a>")
		default:
			b.WriteString(t)
		}
	}
}

func htmlBlock(b *strings.Builder, bl block) {
	switch x := bl.(type) {
	case heading:
		id := slug(x.text)
		fmt.Fprintf(b, "<h%d id=\"%s\">%s</h%d>\n", x.level, id, html.EscapeString(x.text), x.level)
	case para:
		b.WriteString("<p>")
		htmlInline(b, x.text)
		b.WriteString("</p>\n")
	case banner:
		cls := map[bannerKind]string{bannerNote: "note", bannerWarning: "warning"}[x.kind]
		fmt.Fprintf(b, "<div class=\"banner %s\" role=\"note\" aria-label=\"%s\">\n<p class=\"banner-title\">%s</p>\n", cls, x.title(), x.title())
		if len(x.items) == 1 {
			b.WriteString("<p>")
			htmlInline(b, x.items[0])
			b.WriteString("</p>\n")
		} else {
			b.WriteString("<ul>\n")
			for _, it := range x.items {
				b.WriteString("<li>")
				htmlInline(b, it)
				b.WriteString("</li>\n")
			}
			b.WriteString("</ul>\n")
		}
		b.WriteString("</div>\n")
	case list:
		b.WriteString("<ul>\n")
		for _, it := range x.items {
			b.WriteString("<li>")
			htmlInline(b, it)
			b.WriteString("</li>\n")
		}
		b.WriteString("</ul>\n")
	case table:
		// Every table scrolls sideways in its own box, so it never widens
		// the page; on a phone, a table of stackColumns or more columns
		// becomes one card per row, each cell under its column's name
		// (data-label; the span keeps the cell's content one grid item).
		stack := len(x.head) >= stackColumns
		b.WriteString(`<div class="scroll" role="region" tabindex="0" aria-label="table: ` + html.EscapeString(strings.Join(x.head, ", ")) + `"><table`)
		if stack {
			b.WriteString(` class="stack"`)
		}
		b.WriteString(">\n<thead><tr>")
		for i, h := range x.head {
			b.WriteString("<th" + alignAttr(x.right, i) + ">" + html.EscapeString(h) + "</th>")
		}
		b.WriteString("</tr></thead>\n<tbody>\n")
		for _, r := range x.rows {
			b.WriteString("<tr>")
			for i, c := range r {
				b.WriteString("<td" + alignAttr(x.right, i))
				if stack && i < len(x.head) {
					b.WriteString(` data-label="` + html.EscapeString(x.head[i]) + `"><span>`)
					htmlInline(b, c)
					b.WriteString("</span></td>")
					continue
				}
				b.WriteString(">")
				htmlInline(b, c)
				b.WriteString("</td>")
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</tbody>\n</table></div>\n")
	case codeBlock:
		b.WriteString("<pre><code>" + html.EscapeString(x.text) + "</code></pre>\n")
	case details:
		b.WriteString("<details open>\n<summary>" + html.EscapeString(x.summary) + "</summary>\n")
		for _, c := range x.body {
			htmlBlock(b, c)
		}
		b.WriteString("</details>\n")
	case figureBlock:
		fmt.Fprintf(b, "<figure id=\"fig-%s\">\n<div class=\"plot\">", x.name)
		b.Write(x.svg)
		b.WriteString("</div>\n")
		b.WriteString("<figcaption><strong>" + html.EscapeString(x.title) + ".</strong> " + html.EscapeString(x.caption) +
			` <a href="plots/` + html.EscapeString(x.name) + `.svg">SVG</a> · <a href="plots/` + html.EscapeString(x.name) + `.png">PNG</a></figcaption>` + "\n</figure>\n")
	case extBlock:
		x.html(b)
	default:
		panic(fmt.Sprintf("report: unknown block %T", bl))
	}
}

// stackColumns is the number of columns from which a table is shown as
// cards on a phone: fewer columns fit 390 pixels side by side.
const stackColumns = 5

func alignAttr(right []bool, i int) string {
	if i < len(right) && right[i] {
		return ` class="num"`
	}
	return ""
}

// slug makes an HTML id from a heading.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// htmlStyle is the page's only styling: responsive (tables scroll sideways on
// a phone), printable, and using system fonts only (no downloads).
const htmlStyle = `
:root { color-scheme: light; --fg: #1b1b1b; --muted: #555; --line: #d0d0d0; --bg-alt: #f5f5f5; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: #fff;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
p, ul { margin: .5rem 0; }
ul { padding-left: 1.25rem; }
li { overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, "Liberation Mono", Menlo, Consolas, monospace; font-size: .875em; }
code { overflow-wrap: anywhere; }
pre { background: var(--bg-alt); padding: .75rem; overflow-x: auto; white-space: pre; }
pre code { overflow-wrap: normal; }
/* Banners: what a reader must see before the numbers. A note is amber, a
   warning red; both keep a thick left border and a title in print. */
.banner { margin: .75rem 0; padding: .55rem .85rem; border: 1px solid; border-left-width: .45rem; border-radius: .25rem; }
.banner p, .banner ul { margin: .2rem 0; }
.banner ul { padding-left: 1.2rem; }
.banner li + li { margin-top: .2rem; }
.banner-title { font-weight: 700; }
.banner.note { border-color: #8a6d00; background: #fff8d6; }
.banner.note .banner-title { color: #6b5300; }
.banner.note .banner-title::before { content: "\2139\FE0E\00A0"; }
.banner.warning { border-color: #b42318; background: #fdecea; }
.banner.warning .banner-title { color: #8e1b1b; }
.banner.warning .banner-title::before { content: "\26A0\FE0E\00A0"; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: .5rem 0; max-width: 100%; }
.scroll:focus-visible { outline: 2px solid #0b57a4; outline-offset: 2px; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { border: 1px solid var(--line); padding: .3rem .55rem; text-align: left; vertical-align: top; }
th { background: var(--bg-alt); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
/* a hash or path may break anywhere, but its column keeps a readable width */
td:has(code) { min-width: 10rem; }
tbody tr:nth-child(even) { background: #fafafa; }
details { margin: 1rem 0; }
summary { cursor: pointer; font-weight: 600; font-size: 1.1rem; }
figure { margin: 1.25rem 0; }
.plot { overflow-x: auto; -webkit-overflow-scrolling: touch; }
figure svg { display: block; width: 100%; height: auto; max-width: 46rem; }
figure svg text { font-family: "Liberation Sans", Arial, Helvetica, sans-serif !important; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .25rem; }
a { color: #0b57a4; }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  main { padding: .6rem; }
  h1 { font-size: 1.3rem; }
  table { font-size: .85rem; }
  th, td { padding: .25rem .4rem; }
  th, th.num, td.num { white-space: normal; }
  /* keep figure text legible: scroll sideways rather than shrink */
  figure svg { min-width: 32rem; }
}
/* On a phone, a wide table becomes a card per row: the first cell heads
   the card, every other cell sits under its column's name. */
@media screen and (max-width: 40rem) {
  table.stack, table.stack tbody, table.stack tr { display: block; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  table.stack tr { border: 1px solid var(--line); margin: 0 0 .6rem; background: #fff; }
  table.stack td { display: grid; grid-template-columns: minmax(0, 8.5rem) minmax(0, 1fr); gap: .6rem;
    border: 0; border-top: 1px solid var(--line); text-align: left; white-space: normal; min-width: 0; }
  table.stack td::before { content: attr(data-label); color: var(--muted); font-weight: 600; overflow-wrap: anywhere; }
  table.stack td > span { min-width: 0; overflow-wrap: anywhere; }
  table.stack td:first-child { display: block; border-top: 0; background: var(--bg-alt); font-weight: 700; }
  table.stack td:first-child::before { content: none; }
}
@media print {
  @page { margin: 15mm; }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  .scroll { overflow: visible; }
  table { font-size: 8.5pt; }
  td, th { white-space: normal !important; }
  code { overflow-wrap: anywhere; word-break: break-all; }
  pre { white-space: pre-wrap; word-break: break-all; }
  figure, table, .banner { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  figure svg { max-width: 130mm; min-width: 0; }
  .plot { overflow: visible; }
  a { color: inherit; text-decoration: none; }
  .banner.note, .banner.warning { background: none; border-left-width: 2mm; }
}
`

func renderHTML(title string, blocks []block) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="srbench">
<title>` + html.EscapeString(title) + `</title>
<style>` + htmlStyle + `</style>
</head>
<body>
<main>
`)
	for _, bl := range blocks {
		htmlBlock(&b, bl)
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	return b.String()
}
