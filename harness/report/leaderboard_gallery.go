package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	_ "image/gif"  // decode gallery images
	_ "image/jpeg" // decode gallery images

	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // decode gallery images

	"github.com/srbench/srbench/harness/results"
	"github.com/srbench/srbench/internal/safefile"
)

// extBlock is a block kind defined outside document.go that renders
// itself, as Markdown and as HTML (e.g. the leaderboard's image gallery).
type extBlock interface {
	markdown(b *strings.Builder)
	html(b *strings.Builder)
}

// DefaultThumbSize is the longest side, in pixels, of a leaderboard gallery
// thumbnail when LeaderboardOptions.ThumbSize is 0.
const DefaultThumbSize = 96

// ThumbsDir is the directory under PlotsDir that holds the leaderboard's
// gallery thumbnails (PNG), referenced by leaderboard.md.
const ThumbsDir = "thumbs"

// maxThumbSourcePixels is the largest image (in pixels) a thumbnail is made
// of: a bigger one is shown as a placeholder rather than decoded.
const maxThumbSourcePixels = 64 << 20

// maxThumbSourceBytes is the largest image file a thumbnail is made from.
const maxThumbSourceBytes = 256 << 20

// thumb is one downscaled gallery image, or the reason there is none.
type thumb struct {
	png     []byte
	w, h    int
	file    string // path relative to the leaderboard directory, "/"-separated
	problem string // why the image is not shown; "" when png is set
}

// thumbnailer makes and writes thumbnails, each source file once.
type thumbnailer struct {
	dir  string // the leaderboard directory
	size int
	done map[string]*thumb
	// written are the thumbnail files written, relative to dir.
	written map[string]bool
}

func newThumbnailer(dir string, size int) *thumbnailer {
	return &thumbnailer{dir: dir, size: size, done: map[string]*thumb{}, written: map[string]bool{}}
}

// get returns the thumbnail of the image file path, writing it under
// plots/thumbs/ on first use. An image that cannot be read gives a thumb
// with a problem, never an error; only failing to write one is an error.
func (t *thumbnailer) get(path string) (*thumb, error) {
	if th, ok := t.done[path]; ok {
		return th, nil
	}
	th := &thumb{}
	t.done[path] = th
	if path == "" {
		th.problem = "the leaderboard records no file for it (reproducible mode?)"
		return th, nil
	}
	img, err := decodeLimited(path)
	if err != nil {
		th.problem = err.Error()
		return th, nil
	}
	small := downscale(img, t.size)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, small); err != nil {
		th.problem = "encoding the thumbnail: " + err.Error()
		return th, nil
	}
	th.png = buf.Bytes()
	th.w, th.h = small.Bounds().Dx(), small.Bounds().Dy()
	sum := sha256.Sum256([]byte(path))
	th.file = PlotsDir + "/" + ThumbsDir + "/" + hex.EncodeToString(sum[:8]) + ".png"
	if err := os.MkdirAll(filepath.Join(t.dir, PlotsDir, ThumbsDir), 0o755); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(t.dir, filepath.FromSlash(th.file)), th.png); err != nil {
		return nil, err
	}
	t.written[th.file] = true
	return th, nil
}

// decodeLimited decodes a PNG, JPEG, GIF or WebP file, refusing images of
// more than maxThumbSourcePixels.
func decodeLimited(path string) (image.Image, error) {
	// The file is read as a regular file within a size limit: a path in
	// leaderboard.json may name a FIFO or a device, which must not hang or
	// flood the report.
	data, err := safefile.ReadRegular(path, maxThumbSourceBytes)
	if err != nil {
		return nil, err
	}
	f := bytes.NewReader(data)
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, fmt.Errorf("%s: not a PNG, JPEG, GIF or WebP image", path)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxThumbSourcePixels {
		return nil, fmt.Errorf("%s: %d×%d %s image is too large for a thumbnail", path, cfg.Width, cfg.Height, format)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// downscale returns img with its long side at most size pixels (Catmull-Rom
// resampling); a smaller image is copied at its own size.
func downscale(img image.Image, size int) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if long := max(w, h); long > size {
		w = max(1, int(float64(w)*float64(size)/float64(long)+0.5))
		h = max(1, int(float64(h)*float64(size)/float64(long)+0.5))
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	if w == b.Dx() && h == b.Dy() {
		xdraw.Copy(dst, image.Point{}, img, b, xdraw.Src, nil)
	} else {
		xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	}
	return dst
}

// galleryRow is one image of a gallery.
type galleryRow struct {
	generator string
	which     string // "highest" or "lowest"
	img       results.GalleryImage
	th        *thumb
}

// galleryBlock is one judge's gallery: per generator, its highest- and
// lowest-scored images with prompt and score. In Markdown a table
// referencing the thumbnail files; in HTML a grid with the thumbnails
// inline as data URIs.
type galleryBlock struct {
	judge string
	size  int
	rows  []galleryRow
}

// placeholder is the text shown instead of an image that cannot be read.
func (r galleryRow) placeholder() string { return "image not shown: " + r.th.problem }

func (r galleryRow) score() string { return fmtScore(r.img.Score) }

func (g galleryBlock) markdown(b *strings.Builder) {
	b.WriteString("| generator | image | score | prompt |\n| --- | --- | ---: | --- |\n")
	for _, r := range g.rows {
		b.WriteString("| ")
		mdInline(b, line(r.generator+" ("+r.which+")"), true)
		b.WriteString(" | ")
		if r.th.png != nil {
			alt := strings.NewReplacer("[", "(", "]", ")", "\n", " ").Replace(mdCellEscaper.Replace(r.img.Prompt))
			b.WriteString("![" + alt + "](" + r.th.file + ")")
		} else {
			mdInline(b, inline{bold(r.placeholder())}, true)
		}
		b.WriteString(" | " + r.score() + " | ")
		mdInline(b, line(r.img.Prompt), true)
		b.WriteString(" |\n")
	}
}

func (g galleryBlock) html(b *strings.Builder) {
	fmt.Fprintf(b, "<div class=\"gallery\" aria-label=\"%s\">\n", htmlAttr("gallery of judge "+g.judge))
	open := false
	for i, r := range g.rows {
		if i == 0 || r.generator != g.rows[i-1].generator {
			if open {
				b.WriteString("</div>\n")
			}
			fmt.Fprintf(b, "<p><strong>%s</strong>: highest- and lowest-scored images</p>\n<div style=\"display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-start\">\n",
				html.EscapeString(r.generator))
			open = true
		}
		fmt.Fprintf(b, "<figure style=\"margin:0;width:%dpx\">", max(g.size, 96))
		if r.th.png != nil {
			fmt.Fprintf(b, "<img src=\"data:image/png;base64,%s\" width=\"%d\" height=\"%d\" alt=\"%s\">",
				base64.StdEncoding.EncodeToString(r.th.png), r.th.w, r.th.h, htmlAttr(r.img.Prompt))
		} else {
			fmt.Fprintf(b, "<div class=\"thumb-missing\" style=\"width:%dpx;min-height:%dpx;border:1px dashed #b42318;color:#8e1b1b;font-size:.75rem;padding:.25rem;overflow-wrap:anywhere\">%s</div>",
				max(g.size, 96), g.size, html.EscapeString(r.placeholder()))
		}
		fmt.Fprintf(b, "<figcaption style=\"font-size:.75rem;overflow-wrap:anywhere\">%s <strong>%s</strong> %s</figcaption></figure>\n",
			r.which, r.score(), html.EscapeString(r.img.Prompt))
	}
	if open {
		b.WriteString("</div>\n")
	}
	b.WriteString("</div>\n")
}
