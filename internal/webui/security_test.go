package webui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// postKey posts the key form as a browser does.
func postKey(p *Page, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/key", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	p.ServeKey(w, r)
	return w
}

// TestPage_keyRedirect (issue 19, item 11): the key form sends the browser
// back to a path of this site only. Browsers drop tabs and newlines from
// URLs and read a backslash as a slash, so "/\t/evil.example" is
// "//evil.example", another site.
func TestPage_keyRedirect(t *testing.T) {
	p := newPage(t, "s3cret")
	tests := []struct{ next, want string }{
		{"/?q=fired", "/?q=fired"},
		{"/doc?collection=news&id=a%2Fb&start=1&end=9", "/doc?collection=news&id=a%2Fb&start=1&end=9"},
		{"/", "/"},
		{"", "/"},
		{"/\t/evil.example/x", "/"},
		{"/\n/evil.example/x", "/"},
		{"/\r\n/evil.example/x", "/"},
		{"\t//evil.example/x", "/"},
		{"/ /evil.example/x", "/"},
		{"//evil.example/x", "/"},
		{"/\\evil.example/x", "/"},
		{"\\/evil.example/x", "/"},
		{"/\\/evil.example/x", "/"},
		{"https://evil.example/x", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"/\x00/evil.example", "/"},
		{"/\u00a0/evil.example", "/"},
	}
	for _, tt := range tests {
		w := postKey(p, url.Values{"key": {"s3cret"}, "next": {tt.next}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != tt.want {
			t.Errorf("next %q: %d Location %q, want %q", tt.next, w.Code, w.Header().Get("Location"), tt.want)
		}
	}
}

// TestPage_keyFormDoesNotLogOut (item 11): an empty key in the login form
// asks again and keeps the cookie; only the "forget" form forgets it.
func TestPage_keyFormDoesNotLogOut(t *testing.T) {
	p := newPage(t, "s3cret")
	w := postKey(p, url.Values{"key": {""}, "next": {"/"}})
	if w.Code != http.StatusUnauthorized || len(w.Result().Cookies()) != 0 || !strings.Contains(w.Body.String(), "Enter the API key") {
		t.Errorf("empty key: %d, cookies %v\n%s", w.Code, w.Result().Cookies(), w.Body)
	}
	w = postKey(p, url.Values{"forget": {"1"}})
	if c := w.Result().Cookies(); w.Code != http.StatusSeeOther || len(c) != 1 || c[0].MaxAge >= 0 || c[0].Name != CookieName {
		t.Errorf("forget: %d %v", w.Code, c)
	}
	// The footer's button is the forget form.
	key := postKey(p, url.Values{"key": {"s3cret"}}).Result().Cookies()[0]
	body := get(p.ServeSearch, "/", key).Body.String()
	if !strings.Contains(body, `<input type="hidden" name="forget" value="1">`) || strings.Contains(body, `name="key" value=""`) {
		t.Errorf("the page's forget form:\n%s", body)
	}
}

// TestPage_cookieForAnyKey (item 14): any key the server accepts works
// from the cookie, however odd its bytes.
func TestPage_cookieForAnyKey(t *testing.T) {
	for _, key := range []string{`pa;ss"wörd`, "with space", "a,b", "x=y", `back\slash`, "tab\tinside", "ключ", "=", `"quoted"`} {
		t.Run(key, func(t *testing.T) {
			p := newPage(t, key)
			w := postKey(p, url.Values{"key": {key}, "next": {"/?q=fired"}})
			cookies := w.Result().Cookies()
			if w.Code != http.StatusSeeOther || len(cookies) != 1 {
				t.Fatalf("key form: %d %v", w.Code, cookies)
			}
			// What the browser sends back is the cookie as set.
			sent := httptest.NewRequest("GET", "/?q=fired", nil)
			sent.Header.Set("Cookie", strings.SplitN(w.Header().Get("Set-Cookie"), ";", 2)[0])
			rec := httptest.NewRecorder()
			p.ServeSearch(rec, sent)
			if rec.Code != http.StatusOK {
				t.Errorf("with the cookie %q: %d, want 200", sent.Header.Get("Cookie"), rec.Code)
			}
		})
	}
	// A cookie set before values were encoded keeps working.
	p := newPage(t, "s3cret")
	if w := get(p.ServeSearch, "/", &http.Cookie{Name: CookieName, Value: "s3cret"}); w.Code != http.StatusOK {
		t.Errorf("an old cookie: %d", w.Code)
	}
}
