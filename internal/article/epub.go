package article

import (
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
			ID   string `xml:"id,attr"`
			Href string `xml:"href,attr"`
		} `xml:"manifest>item"`
		Spine []struct {
			IDRef string `xml:"idref,attr"`
		} `xml:"spine>itemref"`
	}
	if err := xml.Unmarshal(opfData, &opf); err != nil {
		return fmt.Sprintf("broken EPUB: %s: %v", opfPath, err)
	}
	coreProps(a, append(append([]byte("<m>"), opf.Metadata.Inner...), "</m>"...))
	href := map[string]string{}
	for _, it := range opf.Items {
		href[it.ID] = it.Href
	}
	dir := path.Dir(opfPath)
	var w docWriter
	for _, s := range opf.Spine {
		h, ok := href[s.IDRef]
		if !ok {
			continue
		}
		name := path.Join(dir, strings.SplitN(h, "#", 2)[0])
		xhtml, err := readZip(z, name)
		if err != nil {
			return "broken EPUB: " + err.Error()
		}
		var ch Article
		parseHTML(&ch, string(xhtml))
		if strings.TrimSpace(ch.Text) == "" {
			continue // a cover or an empty page
		}
		w.chapter(ch.Title)
		for _, line := range strings.Split(ch.Text, "\n") {
			w.paragraph(line, false)
		}
	}
	w.finish(a)
	return ""
}
