package bm25

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// An index directory holds:
//
//	CURRENT  which generation is current, and the options it was built with
//	seg.N    generation N's segment (see segment.go), absent while empty
//	log.N    the batches applied since seg.N was written
//	LOCK     what writers (exclusively) and readers (shared) lock
//
// A write appends one record to the log and syncs it. When the log has
// grown past the segment, a new generation is written: seg.N+1 with
// everything live, an empty log.N+1, and then CURRENT, replaced atomically;
// a crash before that leaves generation N whole, and the next writer
// removes what the failed one left.

const (
	currentFile  = "CURRENT"
	lockFile     = "LOCK"
	currentMagic = "SSBM25CU"
	// currentVersion is the index format: 1 was a bleve index (see
	// legacyIndex).
	currentVersion = 2
	logMagic       = "SSBM25LG"
	logHeaderSize  = 12
)

// current is what CURRENT records.
type current struct {
	gen        uint64
	hasSegment bool
	analyzer   string
}

func segPath(dir string, gen uint64) string {
	return filepath.Join(dir, "seg."+strconv.FormatUint(gen, 10))
}
func logPath(dir string, gen uint64) string {
	return filepath.Join(dir, "log."+strconv.FormatUint(gen, 10))
}

func encodeCurrent(c current) []byte {
	b := []byte(currentMagic)
	b = binary.LittleEndian.AppendUint32(b, currentVersion)
	b = binary.LittleEndian.AppendUint64(b, c.gen)
	seg := byte(0)
	if c.hasSegment {
		seg = 1
	}
	b = append(b, seg)
	b = binary.AppendUvarint(b, uint64(len(c.analyzer)))
	b = append(b, c.analyzer...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

// errNewer reports a CURRENT written by a later semsearch.
var errNewer = errors.New("written by a newer semsearch")

func decodeCurrent(b []byte) (current, error) {
	var c current
	if len(b) < len(currentMagic)+4+8+1+1+4 || string(b[:len(currentMagic)]) != currentMagic {
		return c, fmt.Errorf("%s is not a semsearch BM25 index's", currentFile)
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return c, fmt.Errorf("%s fails its checksum", currentFile)
	}
	b = body[len(currentMagic):]
	if v := binary.LittleEndian.Uint32(b); v != currentVersion {
		return c, fmt.Errorf("%s version %d: %w (this one reads %d)", currentFile, v, errNewer, currentVersion)
	}
	c.gen = binary.LittleEndian.Uint64(b[4:])
	c.hasSegment = b[12] == 1
	n, k := binary.Uvarint(b[13:])
	if k <= 0 || uint64(len(b)-13-k) != n {
		return c, fmt.Errorf("%s is malformed", currentFile)
	}
	c.analyzer = string(b[13+k:])
	return c, nil
}

// writeCurrent replaces CURRENT atomically, after syncing dir so that the
// files it names are there after a crash. Once it returns nil, c is
// current (committed); the caller syncs dir again to make that durable.
func writeCurrent(dir string, c current) error {
	if err := syncDir(dir); err != nil {
		return err
	}
	tmp := filepath.Join(dir, currentFile+".tmp")
	if err := writeFileSync(tmp, encodeCurrent(c)); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, currentFile)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeFileSync writes a new file and syncs it.
func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// readCurrent reads dir's CURRENT; ok is false when there is none.
func readCurrent(dir string) (c current, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, currentFile))
	if errors.Is(err, fs.ErrNotExist) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	c, err = decodeCurrent(b)
	return c, err == nil, err
}

// legacyIndex reports whether dir holds an index in the format semsearch
// kept before this one (a bleve index).
func legacyIndex(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "index_meta.json"))
	return err == nil
}

// strayFiles lists the files in dir that generation gen does not use: what
// a writer that failed or crashed mid-compaction left.
func strayFiles(dir string, gen uint64) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if name == currentFile || name == lockFile || name == filepath.Base(segPath(dir, gen)) || name == filepath.Base(logPath(dir, gen)) {
			continue
		}
		if strings.HasPrefix(name, "seg.") || strings.HasPrefix(name, "log.") || strings.HasSuffix(name, ".tmp") {
			out = append(out, filepath.Join(dir, name))
		}
	}
	return out, nil
}

// holdsData reports whether dir, which has no CURRENT, holds a segment or
// a log with records: an index whose CURRENT is lost, as opposed to one
// whose creation was cut short (its log written, its CURRENT not yet).
func holdsData(dir string) bool {
	if segs, _ := filepath.Glob(filepath.Join(dir, "seg.*")); len(segs) > 0 {
		return true
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "log.*"))
	for _, l := range logs {
		if fi, err := os.Stat(l); err != nil || fi.Size() > logHeaderSize {
			return true
		}
	}
	return false
}

// A log file is its header ("SSBM25LG", u32 version) and then records:
// u32 payload length, u32 CRC-32C of that length, u32 CRC-32C of the
// payload, payload. The length's own checksum tells a record cut short by a
// crash (a whole header, too few bytes after it: only the last record can
// be) from a damaged length. A payload is one batch:
//
//	uvarint n, n document ids to remove (uvarint len, bytes)
//	uvarint n, n terms: the batch's dictionary
//	uvarint n, n documents: id, hash, uvarint tokens, uvarint passages, and
//	  per passage uvarint chunk, length, terms, and per term uvarint
//	  dictionary number and frequency
const (
	logVersion       = 1
	recordHeaderSize = 12
	// maxRecord bounds a batch's record; a larger batch is refused.
	maxRecord int64 = 1 << 31
)

func logHeader() []byte {
	return binary.LittleEndian.AppendUint32([]byte(logMagic), logVersion)
}

// encodeBatch appends b's log record to buf.
func encodeBatch(buf []byte, b *batch) []byte {
	start := len(buf)
	buf = append(buf, make([]byte, recordHeaderSize)...)
	str := func(s string) {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	buf = binary.AppendUvarint(buf, uint64(len(b.remove)))
	for _, id := range b.remove {
		str(id)
	}
	buf = binary.AppendUvarint(buf, uint64(len(b.terms)))
	for _, t := range b.terms {
		str(t)
	}
	buf = binary.AppendUvarint(buf, uint64(len(b.docs)))
	for _, d := range b.docs {
		str(d.id)
		str(d.hash)
		buf = binary.AppendUvarint(buf, uint64(d.tokens))
		buf = binary.AppendUvarint(buf, uint64(len(d.passages)))
		for _, p := range d.passages {
			buf = binary.AppendUvarint(buf, uint64(p.chunk))
			buf = binary.AppendUvarint(buf, uint64(p.length))
			buf = binary.AppendUvarint(buf, uint64(len(p.terms)))
			for _, t := range p.terms {
				buf = binary.AppendUvarint(buf, uint64(t.ref))
				buf = binary.AppendUvarint(buf, uint64(t.tf))
			}
		}
	}
	payload := buf[start+recordHeaderSize:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start:start+4], crcTable))
	binary.LittleEndian.PutUint32(buf[start+8:], crc32.Checksum(payload, crcTable))
	return buf
}

// batchDecoder reads one batch payload.
type batchDecoder struct {
	b   []byte
	err error
}

func (d *batchDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errors.New("malformed log record")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *batchDecoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errors.New("malformed log record")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// count reads a count of items that each take at least one byte, so a
// damaged count cannot make the decoder allocate more than the record.
func (d *batchDecoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = errors.New("malformed log record")
		return 0
	}
	return int(n)
}

func decodeBatch(payload []byte) (*batch, error) {
	d := &batchDecoder{b: payload}
	b := &batch{remove: make([]string, d.count())}
	for i := range b.remove {
		b.remove[i] = d.str()
	}
	b.terms = make([]string, d.count())
	for i := range b.terms {
		b.terms[i] = d.str()
	}
	b.docs = make([]analysedDoc, d.count())
	for i := range b.docs {
		doc := &b.docs[i]
		doc.id, doc.hash = d.str(), d.str()
		doc.tokens = int64(d.uvarint())
		doc.passages = make([]analysedPassage, d.count())
		for j := range doc.passages {
			p := &doc.passages[j]
			p.chunk, p.length = uint32(d.uvarint()), uint32(d.uvarint())
			p.terms = make([]termCount, d.count())
			for k := range p.terms {
				t := d.uvarint()
				if t >= uint64(len(b.terms)) && d.err == nil {
					d.err = errors.New("malformed log record: term out of range")
				}
				if d.err != nil {
					return nil, d.err
				}
				p.terms[k] = termCount{term: b.terms[t], id: -1, ref: uint32(t), tf: uint32(d.uvarint())}
			}
		}
		if d.err != nil {
			return nil, d.err
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("malformed log record: trailing bytes")
	}
	return b, d.err
}

// replayLog applies the records of a log file's contents to st and returns
// how many bytes of it are whole records. A record cut short at the end (a
// write that a crash interrupted, never acknowledged) ends the replay, as
// does a tail of zeros (a file whose size reached the disk before its
// data); a bad record followed by more is damage.
func replayLog(data []byte, st *state) (int64, error) {
	if len(data) < logHeaderSize || string(data[:len(logMagic)]) != logMagic {
		return 0, errors.New("log has no valid header")
	}
	if v := binary.LittleEndian.Uint32(data[len(logMagic):]); v != logVersion {
		return 0, fmt.Errorf("log version %d: %w (this one reads %d)", v, errNewer, logVersion)
	}
	at := logHeaderSize
	for at < len(data) {
		rest := data[at:]
		if len(rest) < recordHeaderSize || allZero(rest) {
			return int64(at), nil
		}
		if crc32.Checksum(rest[:4], crcTable) != binary.LittleEndian.Uint32(rest[4:]) {
			return 0, fmt.Errorf("log record at byte %d: its length fails its checksum", at)
		}
		n := uint64(binary.LittleEndian.Uint32(rest))
		if n > uint64(len(rest)-recordHeaderSize) {
			return int64(at), nil // torn: the record runs past the end
		}
		end := at + recordHeaderSize + int(n)
		payload := data[at+recordHeaderSize : end]
		if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(rest[8:]) {
			if end == len(data) {
				return int64(at), nil // the last record, torn
			}
			return 0, fmt.Errorf("log record at byte %d fails its checksum", at)
		}
		b, err := decodeBatch(payload)
		if err != nil {
			return 0, fmt.Errorf("log record at byte %d: %w", at, err)
		}
		if err := st.apply(b); err != nil {
			return 0, fmt.Errorf("log record at byte %d: %w", at, err)
		}
		at = end
	}
	return int64(at), nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
