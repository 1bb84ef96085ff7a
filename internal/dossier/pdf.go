package dossier

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// Page geometry in millimetres (A4 portrait).
const (
	pdfMargin  = 18.0
	pdfBottom  = 20.0
	pdfLine    = 4.6 // body line height
	pdfBody    = 9.5 // body font size, points
	pdfLabelW  = 52.0
	pdfFont    = "Helvetica"
	pdfBullet  = "\u2022"
	pdfIndent  = 5.0
	pdfEpsilon = 1e-6
	// pdfKeepLines is the height, in lines, up to which a row is never split across pages.
	pdfKeepLines = 12
)

// Colours of the marked parts.
var (
	colText    = [3]int{17, 17, 17}
	colMuted   = [3]int{80, 80, 80}
	colTodo    = [3]int{150, 80, 0}
	colTodoBg  = [3]int{255, 246, 229}
	colWarn    = [3]int{160, 0, 0}
	colWarnBg  = [3]int{253, 236, 236}
	colHeadBg  = [3]int{235, 235, 235}
	colFail    = [3]int{160, 0, 0}
	colPass    = [3]int{0, 100, 0}
	colPending = [3]int{170, 90, 0}
)

// RenderPDF writes document k of the dossier as PDF. It uses the PDF core fonts (nothing is
// embedded) with text translated to code page 1252, so Western European letters such as
// umlauts print and extract; a character outside cp1252 prints as a dot. The creation and
// modification dates are d.GeneratedAt and the internal catalogs are sorted, so the same
// dossier always gives the same bytes.
func RenderPDF(w io.Writer, d Dossier, k Kind) error {
	doc, err := build(d, k)
	if err != nil {
		return err
	}
	doc = sanitizeDoc(doc)
	at := d.GeneratedAt.UTC()
	if d.GeneratedAt.IsZero() {
		at = time.Unix(0, 0).UTC() // fpdf would take the wall clock
	}
	p := newPDFWriter(at)
	p.document(doc, clean(d.Manufacturer.Name)) // fpdf panics on invalid UTF-8 in metadata
	if err := p.f.Error(); err != nil {
		return fmt.Errorf("dossier: render %s as PDF: %w", k, err)
	}
	if err := p.f.Output(w); err != nil {
		return fmt.Errorf("dossier: write %s as PDF: %w", k, err)
	}
	return nil
}

type pdfWriter struct {
	f      *fpdf.Fpdf
	tr     func(string) string
	width  float64 // printable width
	bottom float64 // lowest y a line may end at
}

func newPDFWriter(at time.Time) *pdfWriter {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCatalogSort(true)
	f.SetCreationDate(at)
	f.SetModificationDate(at)
	f.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	f.SetAutoPageBreak(true, pdfBottom)
	f.AliasNbPages("{nb}")
	w, h := f.GetPageSize()
	return &pdfWriter{
		f:      f,
		tr:     f.UnicodeTranslatorFromDescriptor("cp1252"),
		width:  w - 2*pdfMargin,
		bottom: h - pdfBottom,
	}
}

func (p *pdfWriter) color(c [3]int) { p.f.SetTextColor(c[0], c[1], c[2]) }
func (p *pdfWriter) fill(c [3]int)  { p.f.SetFillColor(c[0], c[1], c[2]) }
func (p *pdfWriter) font(style string, size float64) {
	p.f.SetFont(pdfFont, style, size)
}

func (p *pdfWriter) document(doc document, author string) {
	f := p.f
	f.SetTitle(doc.Title, true)
	f.SetSubject(doc.Subtitle, true)
	if author != "" {
		f.SetAuthor(author, true)
	}
	f.SetCreator("Siegel", true)
	f.SetFooterFunc(func() {
		f.SetY(-pdfBottom + 6)
		p.font("", 7.5)
		p.color(colMuted)
		f.MultiCell(0, 3.4, p.tr(doc.Generated), "", "L", false)
		f.CellFormat(0, 3.4, fmt.Sprintf("Page %d of {nb}", f.PageNo()), "", 0, "R", false, 0, "")
	})
	f.AddPage()

	p.font("B", 17)
	p.color(colText)
	f.MultiCell(0, 8, p.tr(doc.Title), "", "L", false)
	p.font("", pdfBody)
	p.color(colMuted)
	f.MultiCell(0, pdfLine, p.tr(doc.Subtitle), "", "L", false)
	f.Ln(3)

	if len(doc.Notices) > 0 {
		p.font("B", pdfBody)
		p.color(colWarn)
		p.fill(colWarnBg)
		f.SetDrawColor(colWarn[0], colWarn[1], colWarn[2])
		f.MultiCell(0, pdfLine, p.tr(strings.Join(doc.Notices, "\n")), "1", "L", true)
		f.SetDrawColor(0, 0, 0)
		f.Ln(2)
	}
	for _, s := range doc.Sections {
		p.section(s, 0)
	}
}

func (p *pdfWriter) section(s section, level int) {
	f := p.f
	title := s.Title
	if s.Ref != "" {
		title = s.Ref + " \u2014 " + s.Title
	}
	size := 12.0
	if level > 0 {
		size = 10.5
	}
	// Keep a heading with at least three lines of what follows.
	p.need(size*0.5 + 3*pdfLine)
	f.Ln(level0(level, 4, 2))
	f.Bookmark(p.tr(title), level, -1)
	p.font("B", size)
	p.color(colText)
	f.MultiCell(0, size*0.5, p.tr(title), "", "L", false)
	if level == 0 {
		x, y := f.GetX(), f.GetY()
		f.SetDrawColor(140, 140, 140)
		f.Line(x, y+0.5, x+p.width, y+0.5)
		f.SetDrawColor(0, 0, 0)
	}
	f.Ln(1.5)

	for _, fl := range s.Fields {
		val, style, col := fl.Value, "", colText
		if val == "" {
			val, style, col = Placeholder+": "+fl.Todo, "I", colTodo
		}
		p.row([]pdfCell{
			{w: pdfLabelW, text: fl.Label, style: "B", col: colText},
			{w: p.width - pdfLabelW, text: val, style: style, col: col},
		}, false, nil)
	}
	for _, para := range s.Paras {
		p.font("", pdfBody)
		p.color(colText)
		f.MultiCell(0, pdfLine, p.tr(para), "", "L", false)
		f.Ln(1)
	}
	for _, it := range s.Items {
		p.row([]pdfCell{
			{w: pdfIndent, text: pdfBullet, col: colText},
			{w: p.width - pdfIndent, text: it, col: colText},
		}, false, nil)
	}
	if s.HasTable {
		p.verdictTable(s.Verdicts)
	}
	for _, t := range s.Todo {
		f.Ln(1)
		p.font("I", pdfBody)
		p.color(colTodo)
		p.fill(colTodoBg)
		f.SetDrawColor(colTodo[0], colTodo[1], colTodo[2])
		f.SetDashPattern([]float64{1, 1}, 0)
		f.MultiCell(0, pdfLine, p.tr(Placeholder+": "+t), "1", "L", true)
		f.SetDashPattern(nil, 0)
		f.SetDrawColor(0, 0, 0)
	}
	if s.Signature {
		p.need(22)
		f.Ln(16)
		x, y := f.GetX(), f.GetY()
		f.Line(x, y, x+70, y)
		p.font("", 8)
		p.color(colMuted)
		f.CellFormat(70, 4, "Signature", "", 1, "L", false, 0, "")
	}
	for _, sub := range s.Subs {
		p.section(sub, level+1)
	}
}

func level0(level int, top, sub float64) float64 {
	if level == 0 {
		return top
	}
	return sub
}

// need starts a new page unless h millimetres are left on this one.
func (p *pdfWriter) need(h float64) {
	if p.f.GetY()+h > p.bottom+pdfEpsilon {
		p.f.AddPage()
	}
}

type pdfCell struct {
	w     float64
	text  string
	style string
	size  float64 // 0: body size
	col   [3]int
}

// row lays out cells side by side, each wrapped to its width, and splits the row across pages
// line by line when it does not fit, so no text is lost however long a value is. header, when
// not nil, is redrawn at the top of every page the row continues on.
func (p *pdfWriter) row(cells []pdfCell, border bool, header func()) {
	f := p.f
	lines := make([][]string, len(cells))
	total := 1
	for i, c := range cells {
		p.font(c.style, sizeOr(c.size))
		for _, l := range f.SplitLines([]byte(p.tr(c.text)), c.w) {
			lines[i] = append(lines[i], string(l))
		}
		if len(lines[i]) == 0 {
			lines[i] = []string{""}
		}
		total = max(total, len(lines[i]))
	}
	x0 := f.GetX()
	for done := 0; done < total; {
		room := int(math.Floor((p.bottom - f.GetY() + pdfEpsilon) / pdfLine))
		// Move a short row whole to the next page; split only rows too tall to be worth moving.
		if room < 1 || (done == 0 && room < total && total <= pdfKeepLines) {
			f.AddPage()
			if header != nil {
				header()
			}
			continue
		}
		n := min(room, total-done)
		y := f.GetY()
		x := x0
		for i, c := range cells {
			p.font(c.style, sizeOr(c.size))
			p.color(c.col)
			for j := done; j < done+n && j < len(lines[i]); j++ {
				f.SetXY(x, y+float64(j-done)*pdfLine)
				f.CellFormat(c.w, pdfLine, lines[i][j], "", 0, "L", false, 0, "")
			}
			if border {
				f.Rect(x, y, c.w, float64(n)*pdfLine, "D")
			}
			x += c.w
		}
		done += n
		f.SetXY(x0, y+float64(n)*pdfLine)
	}
}

func sizeOr(s float64) float64 {
	if s == 0 {
		return pdfBody
	}
	return s
}

// Widths of the verdict table's columns; the reason takes what is left.
const (
	colReqW    = 42.0
	colLevelW  = 28.0
	colResultW = 29.0
)

func (p *pdfWriter) verdictTable(rows []verdictRow) {
	f := p.f
	reasonW := p.width - colReqW - colLevelW - colResultW
	header := func() {
		x, y := f.GetX(), f.GetY()
		p.fill(colHeadBg)
		p.font("B", 8.5)
		p.color(colText)
		for _, h := range []struct {
			w float64
			t string
		}{{colReqW, "Requirement"}, {colLevelW, "Level"}, {colResultW, "Result"}, {reasonW, "Reason"}} {
			f.CellFormat(h.w, pdfLine+0.6, h.t, "1", 0, "L", true, 0, "")
		}
		f.SetXY(x, y+pdfLine+0.6)
	}
	f.Ln(1)
	p.need(pdfLine*3 + 1)
	header()
	for _, r := range rows {
		req := r.Requirement
		if r.Source != "" {
			req += "\n" + r.Source
		}
		res, style := r.Result, "B"
		col := colText
		switch r.Class {
		case "fail":
			col = colFail
		case "pass":
			col, style = colPass, ""
		case "needs-attestation":
			col = colPending
		default:
			style = ""
		}
		p.row([]pdfCell{
			{w: colReqW, text: req, size: 8.5, col: colText},
			{w: colLevelW, text: r.Level, size: 8.5, col: colText},
			{w: colResultW, text: res, style: style, size: 8.5, col: col},
			{w: reasonW, text: r.Reason, size: 8.5, col: colText},
		}, true, header)
	}
	f.Ln(1)
}
