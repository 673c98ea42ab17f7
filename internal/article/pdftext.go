package article

import (
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

// pageGlyphs reads the glyphs a page draws, as the library's Page.Content
// does, with what semsearch needs from it that the library lacks:
//   - a font's widths are read once per page, not once per glyph (the
//     library's Font.Width parsed the Widths array for every glyph: three
//     quarters of the time on a pdfTeX manual);
//   - two-byte codes (Type0 fonts, Chromium's among them) advance by their
//     own widths, so glyphs stand where they are drawn;
//   - a simple font without a ToUnicode map is decoded by its glyph names
//     (its Differences, else the encoding built into its Type 1 program),
//     so old TeX fonts give ligatures, dashes, quotes and braces instead of
//     U+FFFD or the wrong letters;
//   - text inside form XObjects is read;
//   - word spacing (Tw) moves what follows a space, and no "\n" glyph is
//     made at the end of a TJ.
//
// A malformed content stream ends the page's glyphs where it breaks.
func pageGlyphs(p pdf.Page) (out []pdf.Text) {
	r := &pdfTextReader{}
	defer func() {
		if recover() != nil {
			out = r.out
		}
	}()
	contents := p.V.Key("Contents")
	if contents.IsNull() {
		return nil
	}
	r.run(contents, p.Resources(), pdfGState{ctm: pdfIdent, th: 1})
	return r.out
}

type pdfMatrix [3][3]float64

var pdfIdent = pdfMatrix{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}

func (x pdfMatrix) mul(y pdfMatrix) pdfMatrix {
	var z pdfMatrix
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				z[i][j] += x[i][k] * y[k][j]
			}
		}
	}
	return z
}

func translate(tx, ty float64) pdfMatrix { return pdfMatrix{{1, 0, 0}, {0, 1, 0}, {tx, ty, 1}} }

// pdfGState is the part of the graphics state that places text.
type pdfGState struct {
	ctm                   pdfMatrix
	tc, tw, th, tl, trise float64
	font                  *pdfFont
	size                  float64
}

type pdfTextReader struct {
	out   []pdf.Text
	depth int // form XObjects within form XObjects
}

// maxFormDepth bounds nested form XObjects (a cycle would never end).
const maxFormDepth = 8

// pdfOperands are the operand counts of the operators read; an operator
// with others is skipped.
var pdfOperands = map[string]int{"cm": 6, "Tm": 6, "Tc": 1, "Tw": 1, "Tz": 1, "TL": 1, "Ts": 1, "Tf": 2,
	"Td": 2, "TD": 2, "Tj": 1, "'": 1, "\"": 3, "TJ": 1, "Do": 1}

// pdfStream is the state of one content stream being read: the page's or
// a form XObject's.
type pdfStream struct {
	r       *pdfTextReader
	res     pdf.Value
	fonts   map[string]*pdfFont
	g       pdfGState
	gstack  []pdfGState
	tm, tlm pdfMatrix // text matrix and text line matrix
}

func (r *pdfTextReader) run(strm, res pdf.Value, g pdfGState) {
	st := &pdfStream{r: r, res: res, fonts: map[string]*pdfFont{}, g: g, tm: pdfIdent, tlm: pdfIdent}
	pdf.Interpret(strm, func(stk *pdf.Stack, op string) {
		args := make([]pdf.Value, stk.Len())
		for i := len(args) - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		if n, ok := pdfOperands[op]; ok && len(args) != n {
			return
		}
		st.do(op, args)
	})
}

func pdfMatrixOf(v func(i int) pdf.Value) (m pdfMatrix) {
	for i := range 6 {
		m[i/2][i%2] = v(i).Float64()
	}
	m[2][2] = 1
	return m
}

// do carries out one operator of the stream.
func (st *pdfStream) do(op string, args []pdf.Value) {
	g := &st.g
	num := func(i int) float64 { return args[i].Float64() }
	arg := func(i int) pdf.Value { return args[i] }
	switch op {
	case "cm":
		g.ctm = pdfMatrixOf(arg).mul(g.ctm)
	case "q":
		st.gstack = append(st.gstack, *g)
	case "Q":
		if n := len(st.gstack); n > 0 {
			*g, st.gstack = st.gstack[n-1], st.gstack[:n-1]
		}
	case "BT":
		st.tm, st.tlm = pdfIdent, pdfIdent
	case "Tm":
		st.tm = pdfMatrixOf(arg)
		st.tlm = st.tm
	case "Tc":
		g.tc = num(0)
	case "Tw":
		g.tw = num(0)
	case "Tz":
		g.th = num(0) / 100
	case "TL":
		g.tl = num(0)
	case "Ts":
		g.trise = num(0)
	case "Tf":
		name := args[0].Name()
		f, ok := st.fonts[name]
		if !ok {
			f = newPDFFont(st.res.Key("Font").Key(name))
			st.fonts[name] = f
		}
		g.font, g.size = f, num(1)
	case "TD":
		g.tl = -num(1)
		fallthrough
	case "Td":
		st.tlm = translate(num(0), num(1)).mul(st.tlm)
		st.tm = st.tlm
	case "T*":
		st.nextLine()
	case "\"":
		g.tw, g.tc = num(0), num(1)
		st.nextLine()
		st.show(args[2].RawString())
	case "'":
		st.nextLine()
		st.show(args[0].RawString())
	case "Tj":
		st.show(args[0].RawString())
	case "TJ":
		a := args[0]
		for i := range a.Len() {
			if x := a.Index(i); x.Kind() == pdf.String {
				st.show(x.RawString())
			} else {
				st.tm = translate(-x.Float64()/1000*g.size*g.th, 0).mul(st.tm)
			}
		}
	case "Do":
		st.form(args[0].Name())
	}
}

func (st *pdfStream) nextLine() {
	st.tlm = translate(0, -st.g.tl).mul(st.tlm)
	st.tm = st.tlm
}

// show places the glyphs of a string shown in the current font.
func (st *pdfStream) show(s string) {
	g := &st.g
	f := g.font
	if f == nil {
		return
	}
	step := 1
	if f.cid {
		step = 2
	}
	for i := 0; i+step <= len(s); i += step {
		raw := s[i : i+step]
		code := int(raw[0])
		if step == 2 {
			code = code<<8 | int(raw[1])
		}
		w0 := f.width(code)
		trm := pdfMatrix{{g.size * g.th, 0, 0}, {0, g.size, 0}, {0, g.trise, 1}}.mul(st.tm).mul(g.ctm)
		st.r.out = append(st.r.out, pdf.Text{Font: f.name, FontSize: trm[0][0], X: trm[2][0], Y: trm[2][1],
			W: w0 / 1000 * trm[0][0], S: f.text(code, raw)})
		tx := w0/1000*g.size + g.tc
		if step == 1 && code == ' ' {
			tx += g.tw
		}
		st.tm = translate(tx*g.th, 0).mul(st.tm)
	}
}

// form reads the text of the form XObject name, drawn with the current
// state and its own matrix and resources (the stream's when it has none).
func (st *pdfStream) form(name string) {
	r := st.r
	xo := st.res.Key("XObject").Key(name)
	if xo.Key("Subtype").Name() != "Form" || r.depth >= maxFormDepth {
		return
	}
	sub := st.g
	if m := xo.Key("Matrix"); m.Len() == 6 {
		sub.ctm = pdfMatrixOf(m.Index).mul(st.g.ctm)
	}
	res := xo.Key("Resources")
	if res.IsNull() {
		res = st.res
	}
	r.depth++
	r.run(xo, res, sub)
	r.depth--
}

// pdfFont is what placing and decoding a font's glyphs needs, read once.
type pdfFont struct {
	name  string
	cid   bool // two-byte codes: a Type0 font
	first int
	// widths are a simple font's, from first; cidWidths and dw a Type0
	// font's (its descendant's W and DW), in thousandths of text space.
	widths    []float64
	cidWidths map[int]float64
	dw        float64
	scale     float64 // a Type3 font's FontMatrix, in thousandths
	// enc is the library's decoding (ToUnicode, named encodings); names
	// the glyph names of a simple font without a ToUnicode map.
	enc   pdf.TextEncoding
	names map[int]string
}

func newPDFFont(v pdf.Value) *pdfFont {
	f := &pdfFont{name: v.Key("BaseFont").Name(), scale: 1, dw: 1000}
	if i := strings.Index(f.name, "+"); i >= 0 {
		f.name = f.name[i+1:] // a subset's tag
	}
	lf := pdf.Font{V: v}
	f.enc = lf.Encoder()
	switch v.Key("Subtype").Name() {
	case "Type0":
		f.cid = true
		d := v.Key("DescendantFonts").Index(0)
		if dw := d.Key("DW"); dw.Kind() == pdf.Integer || dw.Kind() == pdf.Real {
			f.dw = dw.Float64()
		}
		f.cidWidths = cidWidths(d.Key("W"))
		return f
	case "Type3":
		if m := v.Key("FontMatrix"); m.Len() == 6 {
			f.scale = m.Index(0).Float64() * 1000
		}
	}
	f.first = int(v.Key("FirstChar").Int64())
	w := v.Key("Widths")
	f.widths = make([]float64, w.Len())
	for i := range f.widths {
		f.widths[i] = w.Index(i).Float64() * f.scale
	}
	if v.Key("ToUnicode").Kind() != pdf.Stream {
		f.names = glyphNames(v)
	}
	return f
}

// cidWidths reads a CID font's W array: "c [w1 w2 ...]" gives widths from
// c on, "c1 c2 w" one width for c1 to c2.
func cidWidths(w pdf.Value) map[int]float64 {
	out := map[int]float64{}
	for i := 0; i < w.Len(); {
		c := int(w.Index(i).Int64())
		if i+1 < w.Len() && w.Index(i+1).Kind() == pdf.Array {
			a := w.Index(i + 1)
			for j := range a.Len() {
				out[c+j] = a.Index(j).Float64()
			}
			i += 2
			continue
		}
		if i+2 >= w.Len() {
			break
		}
		last, width := int(w.Index(i+1).Int64()), w.Index(i+2).Float64()
		for c2 := c; c2 <= last && c2-c < 1<<16; c2++ {
			out[c2] = width
		}
		i += 3
	}
	return out
}

func (f *pdfFont) width(code int) float64 {
	if f.cid {
		if w, ok := f.cidWidths[code]; ok {
			return w
		}
		return f.dw
	}
	if i := code - f.first; i >= 0 && i < len(f.widths) {
		return f.widths[i]
	}
	return 0
}

func (f *pdfFont) text(code int, raw string) string {
	if name, ok := f.names[code]; ok {
		if s, ok := glyphText(name); ok {
			return s
		}
	}
	return f.enc.Decode(raw)
}

// type1Encoding finds the encoding built into a Type 1 font program:
// "dup 12 /fi put" in its clear-text part.
var type1Encoding = regexp.MustCompile(`dup\s+(\d+)\s*/([^\s/\[\]{}()<>]+)\s+put`)

// glyphNames returns a simple font's glyph names by code: those its
// encoding's Differences give, over those of the encoding built into its
// Type 1 program (pdfTeX's Computer Modern fonts carry only that).
func glyphNames(v pdf.Value) map[int]string {
	names := map[int]string{}
	enc := v.Key("Encoding")
	if enc.Kind() != pdf.Name {
		if ff := v.Key("FontDescriptor").Key("FontFile"); ff.Kind() == pdf.Stream {
			if rd := ff.Reader(); rd != nil {
				head, _ := io.ReadAll(io.LimitReader(rd, 64<<10))
				rd.Close()
				clear := string(head)
				if i := strings.Index(clear, "eexec"); i >= 0 {
					clear = clear[:i]
				}
				for _, m := range type1Encoding.FindAllStringSubmatch(clear, -1) {
					if c, err := strconv.Atoi(m[1]); err == nil && c < 256 {
						names[c] = m[2]
					}
				}
			}
		}
	}
	if d := enc.Key("Differences"); d.Kind() == pdf.Array {
		c := 0
		for i := range d.Len() {
			switch x := d.Index(i); x.Kind() {
			case pdf.Integer:
				c = int(x.Int64())
			case pdf.Name:
				names[c] = x.Name()
				c++
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	return names
}

// glyphText returns the text of a glyph name: Adobe's names for the
// letters, digits, punctuation, ligatures and symbols of Latin and TeX
// fonts, "uniXXXX" and "uXXXX[XX]", and ligatures written "f_i". A name it
// does not know is left to the library's decoding.
func glyphText(name string) (string, bool) {
	if i := strings.IndexByte(name, '.'); i > 0 {
		name = name[:i] // "a.sc", "one.oldstyle"
	}
	if utf8.RuneCountInString(name) == 1 {
		return name, true
	}
	if s, ok := glyphNameText[name]; ok {
		return s, true
	}
	if strings.HasPrefix(name, "uni") && len(name) >= 7 && (len(name)-3)%4 == 0 {
		var b strings.Builder
		for i := 3; i < len(name); i += 4 {
			n, err := strconv.ParseUint(name[i:i+4], 16, 32)
			if err != nil || !utf8.ValidRune(rune(n)) {
				return "", false
			}
			b.WriteRune(rune(n))
		}
		return b.String(), true
	}
	if len(name) >= 5 && len(name) <= 7 && name[0] == 'u' {
		if n, err := strconv.ParseUint(name[1:], 16, 32); err == nil && utf8.ValidRune(rune(n)) {
			return string(rune(n)), true
		}
	}
	if strings.Contains(name, "_") {
		var b strings.Builder
		for _, part := range strings.Split(name, "_") {
			s, ok := glyphText(part)
			if !ok {
				return "", false
			}
			b.WriteString(s)
		}
		return b.String(), true
	}
	return "", false
}

// glyphNameText holds the glyph names of the Adobe Glyph List that Latin
// text and TeX's Computer Modern fonts use (letters and digits with
// one-character names need no entry).
var glyphNameText = map[string]string{
	"space": " ", "exclam": "!", "quotedbl": "\"", "numbersign": "#", "dollar": "$", "percent": "%",
	"ampersand": "&", "quotesingle": "'", "quoteright": "’", "parenleft": "(", "parenright": ")",
	"asterisk": "*", "plus": "+", "comma": ",", "hyphen": "-", "period": ".", "slash": "/",
	"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
	"seven": "7", "eight": "8", "nine": "9", "colon": ":", "semicolon": ";", "less": "<", "equal": "=",
	"greater": ">", "question": "?", "at": "@", "bracketleft": "[", "backslash": "\\", "bracketright": "]",
	"asciicircum": "^", "underscore": "_", "quoteleft": "‘", "grave": "`", "braceleft": "{", "bar": "|",
	"braceright": "}", "asciitilde": "~", "exclamdown": "¡", "questiondown": "¿", "cent": "¢",
	"sterling": "£", "yen": "¥", "section": "§", "paragraph": "¶", "copyright": "©", "registered": "®",
	"degree": "°", "plusminus": "±", "multiply": "×", "divide": "÷", "minus": "−", "endash": "–",
	"emdash": "—", "quotedblleft": "“", "quotedblright": "”", "quotesinglbase": "‚", "quotedblbase": "„",
	"guillemotleft": "«", "guillemotright": "»", "guilsinglleft": "‹", "guilsinglright": "›",
	"bullet": "•", "periodcentered": "·", "ellipsis": "…", "dagger": "†", "daggerdbl": "‡",
	"perthousand": "‰", "trademark": "™", "fraction": "⁄", "florin": "ƒ",
	"ff": "ff", "fi": "fi", "fl": "fl", "ffi": "ffi", "ffl": "ffl", "dotlessi": "ı", "dotlessj": "ȷ",
	"germandbls": "ß", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "oslash": "ø", "Oslash": "Ø",
	"lslash": "ł", "Lslash": "Ł", "eth": "ð", "Eth": "Ð", "thorn": "þ", "Thorn": "Þ",
	"aacute": "á", "agrave": "à", "acircumflex": "â", "adieresis": "ä", "atilde": "ã", "aring": "å",
	"ccedilla": "ç", "eacute": "é", "egrave": "è", "ecircumflex": "ê", "edieresis": "ë",
	"iacute": "í", "igrave": "ì", "icircumflex": "î", "idieresis": "ï", "ntilde": "ñ",
	"oacute": "ó", "ograve": "ò", "ocircumflex": "ô", "odieresis": "ö", "otilde": "õ",
	"uacute": "ú", "ugrave": "ù", "ucircumflex": "û", "udieresis": "ü", "yacute": "ý", "ydieresis": "ÿ",
	"Aacute": "Á", "Agrave": "À", "Acircumflex": "Â", "Adieresis": "Ä", "Atilde": "Ã", "Aring": "Å",
	"Ccedilla": "Ç", "Eacute": "É", "Egrave": "È", "Ecircumflex": "Ê", "Edieresis": "Ë",
	"Iacute": "Í", "Igrave": "Ì", "Icircumflex": "Î", "Idieresis": "Ï", "Ntilde": "Ñ",
	"Oacute": "Ó", "Ograve": "Ò", "Ocircumflex": "Ô", "Odieresis": "Ö", "Otilde": "Õ",
	"Uacute": "Ú", "Ugrave": "Ù", "Ucircumflex": "Û", "Udieresis": "Ü", "Yacute": "Ý",
	// TeX's symbol and math fonts (cmsy, cmmi).
	"arrowright": "→", "arrowleft": "←", "arrowdblright": "⇒", "arrowdblleft": "⇐", "arrowboth": "↔",
	"lessequal": "≤", "greaterequal": "≥", "notequal": "≠", "equivalence": "≡", "approxequal": "≈",
	"infinity": "∞", "element": "∈", "angbracketleft": "⟨", "angbracketright": "⟩",
	"asteriskmath": "∗", "circlemultiply": "⊗", "circleplus": "⊕", "logicaland": "∧", "logicalor": "∨",
	"union": "∪", "intersection": "∩", "propersubset": "⊂", "propersuperset": "⊃", "reflexsubset": "⊆",
	"reflexsuperset": "⊇", "universal": "∀", "existential": "∃", "emptyset": "∅", "nabla": "∇",
	"radical": "√", "integral": "∫", "summation": "∑", "product": "∏", "prime": "′", "similar": "∼",
	"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ", "eta": "η",
	"theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π",
	"rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
	"Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
	"Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
	"visiblespace": "␣",
}
