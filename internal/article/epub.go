package article

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"path"
	"strings"
)

// parseEPUB reads an e-book: META-INF/container.xml names the package
// (OPF) file, whose spine lists the chapters' XHTML files in reading order;
// each is extracted as an HTML page ([parseHTML]) and becomes a chapter
// (Article.Chapters) titled by its heading, its paragraphs numbered from 1.
// Title, author and date come from the OPF's Dublin Core metadata. It
// returns a reason to skip the file, or "".
func parseEPUB(a *Article, data []byte) string {
	z, err := openZip(data, "EPUB")
	if err != nil {
		return err.Error()
	}
	if _, err := z.Open("META-INF/encryption.xml"); err == nil {
		if enc, err := readZip(z, "META-INF/encryption.xml"); err == nil && strings.Contains(string(enc), "EncryptedData") &&
			!strings.Contains(string(enc), "obfuscation") {
			return "DRM-protected EPUB (META-INF/encryption.xml encrypts its content): it cannot be read"
		}
	}
	cont, err := readZip(z, "META-INF/container.xml")
	if err != nil {
		return "broken EPUB: " + err.Error()
	}
	var c struct {
		Rootfiles []struct {
			Path string `xml:"full-path,attr"`
		} `xml:"rootfiles>rootfile"`
	}
	if err := xml.Unmarshal(cont, &c); err != nil || len(c.Rootfiles) == 0 || c.Rootfiles[0].Path == "" {
		return fmt.Sprintf("broken EPUB: META-INF/container.xml names no package file (%v)", err)
	}
	opfPath := c.Rootfiles[0].Path
	opfData, err := readZip(z, opfPath)
	if err != nil {
		return "broken EPUB: " + err.Error()
	}
	var opf struct {
		Metadata struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"metadata"`
		Items []struct {
			ID         string `xml:"id,attr"`
			Href       string `xml:"href,attr"`
			MediaType  string `xml:"media-type,attr"`
			Properties string `xml:"properties,attr"`
		} `xml:"manifest>item"`
		Spine []struct {
			IDRef string `xml:"idref,attr"`
		} `xml:"spine>itemref"`
	}
	if err := xml.Unmarshal(opfData, &opf); err != nil {
		return fmt.Sprintf("broken EPUB: %s: %v", opfPath, err)
	}
	coreProps(a, append(append([]byte("<m>"), opf.Metadata.Inner...), "</m>"...))
	dir := path.Dir(opfPath)
	href := map[string]string{}
	toc := map[string]string{}
	for _, it := range opf.Items {
		href[it.ID] = it.Href
		if it.MediaType == "application/x-dtbncx+xml" || strings.Contains(" "+it.Properties+" ", " nav ") {
			name := path.Join(dir, it.Href)
			if data, err := readZip(z, name); err == nil {
				for file, label := range epubTOC(path.Dir(name), data) {
					if _, ok := toc[file]; !ok {
						toc[file] = label
					}
				}
			}
		}
	}
	var w docWriter
	read := map[string]bool{}
	for _, s := range opf.Spine {
		h, ok := href[s.IDRef]
		if !ok {
			continue
		}
		// Spine items may point into a file already read (SiSU lists
		// each section as "file#fragment"): a file is one chapter.
		name := path.Join(dir, strings.SplitN(h, "#", 2)[0])
		if read[name] {
			continue
		}
		read[name] = true
		xhtml, err := readZip(z, name)
		if err != nil {
			return "broken EPUB: " + err.Error()
		}
		var ch Article
		parseHTML(&ch, string(xhtml))
		if strings.TrimSpace(ch.Text) == "" {
			continue // a cover or an empty page
		}
		// The table of contents names a chapter as the reader sees it;
		// a file's <title> is often its file name.
		w.chapter(cmp.Or(toc[name], ch.Title))
		for _, line := range strings.Split(ch.Text, "\n") {
			w.paragraph(line, false)
		}
	}
	w.finish(a)
	return ""
}

// epubTOC reads a table of contents, EPUB 2's toc.ncx (navPoints: a
// navLabel's text, then its content's src) or EPUB 3's navigation document
// (links in its nav), and returns the first label given to each file (its
// path in the zip). It reads tokens leniently: writers leave navPoints
// unclosed.
func epubTOC(dir string, data []byte) map[string]string {
	out := map[string]string{}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	add := func(src, label string) {
		label = strings.Join(strings.Fields(label), " ")
		file := path.Join(dir, strings.SplitN(src, "#", 2)[0])
		if _, ok := out[file]; !ok && label != "" && src != "" {
			out[file] = label
		}
	}
	var label strings.Builder
	inText, inLink, inNav := false, false, false
	href := ""
	for {
		tok, err := d.Token()
		if err != nil {
			return out
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "navLabel":
				label.Reset()
			case "text":
				inText = true
			case "content":
				add(xmlAttr(t, "src"), label.String())
			case "nav":
				inNav = inNav || xmlAttr(t, "type") == "toc"
			case "a":
				if inNav {
					inLink, href = true, xmlAttr(t, "href")
					label.Reset()
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "text":
				inText = false
			case "a":
				if inLink {
					add(href, label.String())
					inLink = false
				}
			case "nav":
				inNav = false
			}
		case xml.CharData:
			if inText || inLink {
				label.Write(t)
			}
		}
	}
}
