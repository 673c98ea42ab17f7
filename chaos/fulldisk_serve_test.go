package chaos_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// fillDisk writes a file in dir until its file system is full, then gives
// back about leave bytes. It returns the file, to be removed to free the
// space again.
func fillDisk(dir string, leave int64) (string, error) {
	path := filepath.Join(dir, "fill.bin")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	block := make([]byte, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				return "", err
			}
			break
		}
	}
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	return path, f.Truncate(max(fi.Size()-leave, 0))
}

// fullDiskServe: `serve` on a small tmpfs that fills up answers every write
// 200 or 507 (with the per-article results), never 500, and never dies;
// searches answer meanwhile; once space is freed, writes succeed again
// without a restart, and every acknowledged document is there and found by
// BM25.
func (s *suite) fullDiskServe(trial int) error {
	data, err := s.tmpfs(dirSize(s.ref1Data) + 6<<20)
	if err != nil {
		return err
	}
	copyDir(s.t, s.ref1Data, data)
	c, base, errOut, err := s.serve(s.ollama, data)
	if err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { c.Wait(); close(exited) }()
	defer func() {
		c.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			c.Process.Kill()
			<-exited
		}
	}()
	dead := func(what string) error {
		select {
		case <-exited:
			return fmt.Errorf("DEAD: serve exited %s: %s", what, clip(errOut.String()))
		default:
			return nil
		}
	}
	client := &http.Client{Timeout: 60 * time.Second}
	type doc struct{ id, word, text string }
	var acked []doc
	n := 0
	post := func() (int, []byte, doc, error) {
		d := doc{id: fmt.Sprintf("full%d-%d", trial, n), word: uniqueWord("fdw", n)}
		d.text = "Written " + d.id + "\n\n" + s.paragraph(s.rng, 200) + " Also " + d.word + " here. " + s.paragraph(s.rng, 200)
		n++
		status, body, err := postJSON(client, base+"/v1/documents?collection=news", map[string]string{"id": d.id, "title": "Written " + d.id, "text": d.text})
		if err != nil {
			if derr := dead("after a POST"); derr != nil {
				return 0, nil, d, derr
			}
			return 0, nil, d, fmt.Errorf("POST %s: %w", d.id, err)
		}
		if status == 200 {
			acked = append(acked, d)
		}
		return status, body, d, nil
	}

	fill, err := fillDisk(data, 60<<10)
	if err != nil {
		return fmt.Errorf("fill the tmpfs: %w", err)
	}
	statuses := map[int]int{}
	refused := 0
	for range 60 {
		status, body, d, err := post()
		if err != nil {
			return err
		}
		statuses[status]++
		switch {
		case status == 200:
			continue
		case status != 507:
			return fmt.Errorf("POST %s on a full disk: %d %s; want 200 or 507 (statuses so far %v)", d.id, status, clip(string(body)), statuses)
		case !bytes.Contains(body, []byte(`"insufficient_storage"`)) || !bytes.Contains(body, []byte(`"results":[`)):
			return fmt.Errorf("POST %s on a full disk: 507 without the per-article results: %s", d.id, clip(string(body)))
		}
		if refused++; refused == 5 {
			break
		}
	}
	if refused == 0 {
		return fmt.Errorf("no write was refused on the full disk (statuses %v); the trial tests nothing", statuses)
	}
	if err := dead("on the full disk"); err != nil {
		return err
	}
	for _, i := range s.sample(2) {
		for _, mode := range []string{"bm25", "hybrid"} {
			status, body, err := postJSON(client, base+"/v1/search", map[string]any{"query": s.words1[i], "k": 3, "mode": mode, "collection": "news"})
			if err != nil {
				return fmt.Errorf("%s search on the full disk: %w (%v)", mode, err, dead("during a search"))
			}
			if status != 200 || !bytes.Contains(body, []byte(`"doc_id":"`+s.ids[i]+`"`)) {
				return fmt.Errorf("%s search %q on the full disk: %d %s; want %s found", mode, s.words1[i], status, clip(string(body)), s.ids[i])
			}
		}
	}

	if err := os.Remove(fill); err != nil {
		return err
	}
	for range 3 {
		status, body, d, err := post()
		if err != nil {
			return err
		}
		if status != 200 {
			return fmt.Errorf("POST %s after space was freed: %d %s; want 200 without a restart", d.id, status, clip(string(body)))
		}
	}
	for _, d := range acked {
		resp, err := client.Get(base + "/v1/documents/" + d.id + "?collection=news")
		if err != nil {
			return err
		}
		var got struct {
			Text string `json:"text"`
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		json.Unmarshal(b, &got)
		if resp.StatusCode != 200 || strings.TrimSpace(got.Text) != strings.TrimSpace(d.text) {
			return fmt.Errorf("LOST: %s was acknowledged (200) but GET answers %d %s", d.id, resp.StatusCode, clip(string(b)))
		}
		status, body, err := postJSON(client, base+"/v1/search", map[string]any{"query": d.word, "k": 1, "mode": "bm25", "collection": "news"})
		if err != nil {
			return err
		}
		if status != 200 || !bytes.Contains(body, []byte(`"doc_id":"`+d.id+`"`)) {
			return fmt.Errorf("BM25 NOT REPAIRED: %s is stored but bm25 search for %q answers %d %s", d.id, d.word, status, clip(string(body)))
		}
	}
	if err := dead("after space was freed"); err != nil {
		return err
	}
	if strings.Contains(errOut.String(), "panic") {
		return fmt.Errorf("serve logged a panic: %s", clip(errOut.String()))
	}
	s.t.Logf("serve on a full disk: statuses %v, %d acknowledged", statuses, len(acked))
	return nil
}
