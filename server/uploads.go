package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/store"
)

// Avatar limits (docs/http-routes.md, "POST /api/upload/avatar"). The body cap
// leaves room for the non-file fields and the multipart framing around a file
// at the limit.
const (
	avatarMaxBytes      = 512000
	avatarMaxFields     = 10
	avatarMaxFieldBytes = 64 << 10
	avatarBodyLimit     = avatarMaxBytes + avatarMaxFieldBytes + 64<<10
)

// avatarUserID is what a user id must look like to become a file name.
var avatarUserID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// sniffedImages are the image types an avatar may be, by content.
var sniffedImages = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// badUpload is a client mistake in an upload.
func badUpload(msg string) error { return chatd.Errorf(chatd.EINVALID, "%s", msg) }

var errFileTooLarge = chatd.Errorf(kindTooLarge, "File too large")

// readAvatarPart walks the multipart body the way multer's single("file")
// did: only a "file" file part, declared as an image, within the size limit;
// plus caps on the other fields. It returns the file's bytes (nil if none).
func readAvatarPart(c *gin.Context) ([]byte, error) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, avatarBodyLimit)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return nil, nil // not multipart: "No file uploaded" once userId is checked
	}
	var file []byte
	fields, fieldBytes := 0, 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return file, nil
		} else if err != nil {
			return nil, multipartErr(err)
		}
		if part.FileName() == "" {
			n, err := io.Copy(io.Discard, io.LimitReader(part, avatarMaxFieldBytes+1))
			if fields, fieldBytes = fields+1, fieldBytes+int(n); err != nil {
				return nil, multipartErr(err)
			} else if fields > avatarMaxFields || fieldBytes > avatarMaxFieldBytes {
				return nil, badUpload("Too many fields")
			}
			continue
		}
		if file, err = readAvatarFile(part, file != nil); err != nil {
			return nil, err
		}
	}
}

func readAvatarFile(part *multipart.Part, haveOne bool) ([]byte, error) {
	if part.FormName() != "file" || haveOne {
		return nil, badUpload("Unexpected field")
	}
	if !strings.HasPrefix(strings.ToLower(part.Header.Get("Content-Type")), "image/") {
		return nil, badUpload("Only image files are allowed")
	}
	data, err := io.ReadAll(io.LimitReader(part, avatarMaxBytes+1))
	if err != nil {
		return nil, multipartErr(err)
	} else if len(data) > avatarMaxBytes {
		return nil, errFileTooLarge
	}
	if !sniffedImages[http.DetectContentType(data)] {
		return nil, badUpload("Only image files are allowed")
	}
	return data, nil
}

func multipartErr(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errFileTooLarge
	}
	return badUpload("Malformed multipart body")
}

// uploadAvatar is POST /api/upload/avatar. Without STRICT_AUTH anyone may set
// the avatar of the userId they name (docs/differences.md, "Avatar by user
// id"); a presented session must be that user's.
func (s *Server) uploadAvatar(c *gin.Context) {
	data, err := readAvatarPart(c)
	if err != nil {
		s.nestError(c, err)
		return
	}
	userID := c.Query("userId")
	switch {
	case userID == "":
		s.nestError(c, chatd.Errorf(chatd.EINVALID, "userId query parameter is required"))
		return
	case data == nil:
		s.nestError(c, chatd.Errorf(chatd.EINVALID, "No file uploaded"))
		return
	}
	if !s.avatarCallerMayWrite(c, userID) {
		return
	}
	unlock := s.avatars.lock(userID)
	url, err := s.storeAvatar(c, userID, data)
	unlock()
	if err != nil {
		s.nestError(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"imageUrl": url})
}

// avatarCallerMayWrite checks the acting user (chatd.ActingUser) and the
// user, in the order of docs/http-routes.md, "POST /api/upload/avatar"; it
// answers the request itself when the caller must stop.
func (s *Server) avatarCallerMayWrite(c *gin.Context, userID string) bool {
	su, _, err := s.sessionFrom(c)
	if err != nil {
		s.nestError(c, err)
		return false
	}
	_, actingErr := chatd.ActingUser(s.cfg.StrictAuth, su.User.ID, userID)
	if errors.Is(actingErr, chatd.ErrActingNoSession) { // the session is asked for before the user
		s.nestError(c, actingErr)
		return false
	}
	if !avatarUserID.MatchString(userID) {
		s.nestError(c, chatd.Errorf(chatd.EINVALID, "User not found"))
		return false
	}
	if _, err := s.deps.Store.UserByID(c.Request.Context(), userID); errors.Is(err, store.ErrNotFound) {
		s.nestError(c, chatd.Errorf(chatd.EINVALID, "User not found"))
		return false
	} else if err != nil {
		s.nestError(c, err)
		return false
	}
	if actingErr != nil {
		s.nestError(c, actingErr)
		return false
	}
	return true
}

// storeAvatar writes UPLOADS_DIR/avatars/<userId>.<png|jpg> atomically,
// replacing any earlier avatar of the user, and points user.image at it.
func (s *Server) storeAvatar(c *gin.Context, userID string, data []byte) (string, error) {
	ext := "jpg"
	if http.DetectContentType(data) == "image/png" {
		ext = "png"
	}
	dir := filepath.Join(s.uploadsDir(), "avatars")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("server: avatar dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return "", fmt.Errorf("server: avatar temp file: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := io.Copy(tmp, bytes.NewReader(data)); err != nil {
		tmp.Close()
		return "", fmt.Errorf("server: write avatar: %w", err)
	}
	if err := errors.Join(tmp.Chmod(0o644), tmp.Close()); err != nil {
		return "", fmt.Errorf("server: write avatar: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, userID+".*")) // the id regex makes this glob literal
	for _, f := range old {
		_ = os.Remove(f)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, userID+"."+ext)); err != nil {
		return "", fmt.Errorf("server: place avatar: %w", err)
	}
	url := "/api/uploads/avatars/" + userID + "." + ext
	return url, s.deps.Store.SetUserImage(c.Request.Context(), userID, url)
}

func (s *Server) uploadsDir() string {
	if s.cfg.UploadsDir == "" {
		return "./uploads"
	}
	return s.cfg.UploadsDir
}

// serveUpload is GET /api/uploads/*: regular files under UPLOADS_DIR, never a listing, a
// dotfile or anything outside it (os.Root refuses escapes through ".." and
// symlinks alike).
func (s *Server) serveUpload(c *gin.Context) {
	name, ok := uploadPath(c.Param("path"))
	if !ok {
		s.notFound(c)
		return
	}
	root, err := os.OpenRoot(s.uploadsDir())
	if err != nil {
		s.notFound(c)
		return
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		s.notFound(c)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		s.notFound(c)
		return
	}
	h := c.Writer.Header()
	// By extension only: ServeContent would sniff an unknown one, and a
	// sniffed text/html from an uploads folder is how stored XSS starts.
	ctype := mime.TypeByExtension(filepath.Ext(info.Name()))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "public, max-age=0")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", fmt.Sprintf(`W/"%x-%x"`, info.Size(), info.ModTime().UnixMilli()))
	http.ServeContent(c.Writer, c.Request, info.Name(), info.ModTime(), f)
}

// uploadPath turns the wildcard into a relative slash path, refusing empty
// paths, "..", dotfiles, backslashes and NUL bytes.
func uploadPath(p string) (string, bool) {
	p = strings.TrimPrefix(p, "/")
	if p == "" || strings.ContainsAny(p, "\\\x00") || path.IsAbs(p) {
		return "", false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	return p, true
}

// keyedLocks serialises work per key; the zero value is ready. Two uploads
// of one user at once would otherwise race between removing the old file,
// placing the new one and pointing user.image at it.
type keyedLocks struct {
	mu   sync.Mutex
	held map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	waiters int
}

// lock takes key's lock and returns its release; the entry is dropped when
// nobody else waits on it.
func (k *keyedLocks) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.held == nil {
		k.held = map[string]*keyedLock{}
	}
	l := k.held[key]
	if l == nil {
		l = &keyedLock{}
		k.held[key] = l
	}
	l.waiters++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.waiters--; l.waiters == 0 {
			delete(k.held, key)
		}
		k.mu.Unlock()
	}
}
