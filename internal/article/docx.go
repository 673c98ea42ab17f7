package article

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// maxZipEntry bounds how much of one archive member is read: a zip bomb is
// a broken file, not an out-of-memory crash.
const maxZipEntry = 64 << 20

// docWriter builds the Text of a document made of paragraphs: one paragraph
// a line, a blank line between paragraphs, Lines giving each line its
// paragraph number (within its chapter), and a skip span on the blank line
// before a heading or a chapter so that a passage starts there.
type docWriter struct {
	b        strings.Builder
	lines    []LineRange
	skip     []Span
	chapters []Chapter
	para     int     // paragraphs written in the current chapter
	pending  *string // title of a chapter that starts with the next paragraph
}

func (w *docWriter) paragraph(text string, heading bool) {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return
	}
	if w.b.Len() > 0 {
		start := w.b.Len()
		w.b.WriteString("\n\n")
		w.lines = append(w.lines, LineRange{w.para, w.para})
		if heading || w.pending != nil {
			w.skip = append(w.skip, Span{start, w.b.Len()})
		}
	}
	if w.pending != nil {
		w.chapters = append(w.chapters, Chapter{Start: w.b.Len(), Title: *w.pending})
		w.pending, w.para = nil, 0
	}
	w.para++
	w.b.WriteString(text)
	w.lines = append(w.lines, LineRange{w.para, w.para})
}

// chapter starts a new chapter with the next paragraph: paragraph numbers
// start again at 1, and no passage crosses into it.
func (w *docWriter) chapter(title string) {
	w.pending = &title
}

func (w *docWriter) finish(a *Article) {
	a.Text = w.b.String()
	a.Lines = w.lines
	a.Skip = w.skip
	a.Chapters = w.chapters
}

// openZip opens data as a zip archive, saying what the file is when it is
// not one.
func openZip(data []byte, kind string) (*zip.Reader, error) {
	if bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
		// Office encrypts an OOXML file into an OLE compound file; an
		// old .doc is one too.
		return nil, fmt.Errorf("password-protected %s (or an old binary Office file): save it unprotected as .docx first", kind)
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("broken %s: not a zip archive: %v", kind, err)
	}
	return z, nil
}

// readZip returns the member called name, or an error naming it.
func readZip(z *zip.Reader, name string) ([]byte, error) {
	f, err := z.Open(name)
	if err != nil {
		return nil, fmt.Errorf("no %s in the archive", name)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxZipEntry+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", name, err)
	}
	if len(b) > maxZipEntry {
		return nil, fmt.Errorf("%s is larger than %d bytes unpacked", name, maxZipEntry)
	}
	return b, nil
}

// sniffZip tells a DOCX or EPUB from its members, or "".
func sniffZip(data []byte) string {
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return ""
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return ""
	}
	for _, f := range z.File {
		switch f.Name {
		case "word/document.xml":
			return FormatDOCX
		case "META-INF/container.xml":
			return FormatEPUB
		}
	}
	return ""
}

// parseDOCX reads a Word document: paragraphs in order, headings (styles
// Title and Heading1-9) starting new passages, list items with a "- ",
// table rows as one line each with " | " between cells, and the title,
// author and dates of docProps/core.xml. It returns a reason to skip the
// file, or "".
func parseDOCX(a *Article, data []byte) string {
	z, err := openZip(data, "Word file")
	if err != nil {
		return err.Error()
	}
	doc, err := readZip(z, "word/document.xml")
	if err != nil {
		return "broken Word file: " + err.Error()
	}
	var w docWriter
	if err := docxBody(&w, doc); err != nil {
		return "broken Word file: word/document.xml: " + err.Error()
	}
	w.finish(a)
	if core, err := readZip(z, "docProps/core.xml"); err == nil {
		coreProps(a, core)
	}
	return ""
}

// docxBody walks word/document.xml.
func docxBody(w *docWriter, doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var (
		para    strings.Builder
		inPara  bool
		heading bool
		list    bool
		inText  bool
		cells   []string // cells of the table row being read
		inCell  int      // depth of w:tc
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "p":
				inPara, heading, list = true, false, false
				if inCell == 0 {
					para.Reset()
				}
			case "pStyle":
				v := strings.ToLower(xmlAttr(t, "val"))
				if v == "title" || strings.HasPrefix(v, "heading") || strings.HasPrefix(v, "berschrift") {
					heading = true
				}
				if strings.HasPrefix(v, "list") {
					list = true
				}
			case "numPr":
				list = true
			case "t":
				inText = true
			case "tab":
				para.WriteByte(' ')
			case "br", "cr":
				para.WriteByte(' ')
			case "tr":
				cells = cells[:0]
			case "tc":
				inCell++
				para.Reset()
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				if !inPara {
					break
				}
				inPara = false
				if inCell > 0 {
					para.WriteByte(' ')
					break
				}
				text := para.String()
				if list && strings.TrimSpace(text) != "" {
					text = "- " + text
				}
				w.paragraph(text, heading)
			case "tc":
				inCell--
				cells = append(cells, strings.Join(strings.Fields(para.String()), " "))
				para.Reset()
			case "tr":
				if inCell == 0 {
					w.paragraph(strings.Join(cells, " | "), false)
				}
			}
		case xml.CharData:
			if inText {
				para.Write(t)
			}
		}
	}
}

func xmlAttr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// coreProps reads the Dublin Core title, creator and dates of an Office
// docProps/core.xml (or an OPF's metadata: the same element names).
func coreProps(a *Article, data []byte) {
	var m struct {
		Items []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	}
	if xml.Unmarshal(data, &m) != nil {
		return
	}
	var created, modified string
	for _, it := range m.Items {
		v := strings.TrimSpace(it.Value)
		if v == "" {
			continue
		}
		switch it.XMLName.Local {
		case "title":
			if a.Title == "" {
				a.Title = v
			}
		case "creator":
			if a.Author == "" {
				a.Author = v
			}
		case "created", "date":
			if created == "" {
				created = v
			}
		case "modified":
			modified = v
		case "language":
			a.setMeta("language", v)
		case "publisher":
			a.setMeta("publisher", v)
		}
	}
	for _, v := range []string{created, modified} {
		if v == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			a.Published = t.UTC()
			return
		}
		if t, ok := parseDate(v); ok {
			a.Published = t
			return
		}
	}
}
