package embed_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/envconfig"

	"github.com/semsearch/semsearch/internal/embed"
)

func TestParseHost(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", "http://127.0.0.1:11434"},
		{"127.0.0.1:11434", "http://127.0.0.1:11434"},
		{"  127.0.0.1:8080 ", "http://127.0.0.1:8080"},
		{`"127.0.0.1:8080"`, "http://127.0.0.1:8080"},
		{"localhost", "http://localhost:11434"},
		{"example.com:1234", "http://example.com:1234"},
		{"http://example.com", "http://example.com:80"},
		{"https://example.com", "https://example.com:443"},
		{"http://example.com:11434", "http://example.com:11434"},
		{"https://example.com:8443/ollama", "https://example.com:8443/ollama"},
		{"::1", "http://[::1]:11434"},
		{"[::1]", "http://[::1]:11434"},
		{"[::1]:8080", "http://[::1]:8080"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"0.0.0.0", "http://0.0.0.0:11434"},
		{"ollama.com", "https://ollama.com:443"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := embed.ParseHost(tt.in)
			if err != nil {
				t.Fatalf("ParseHost(%q): %v", tt.in, err)
			}
			if got := u.String(); got != tt.want {
				t.Errorf("ParseHost(%q) = %s, want %s", tt.in, got, tt.want)
			}
			// Same answer as Ollama's own parser for OLLAMA_HOST.
			t.Setenv("OLLAMA_HOST", tt.in)
			if ollama := envconfig.Host().String(); ollama != tt.want {
				t.Errorf("envconfig.Host() for %q = %s, we say %s", tt.in, ollama, tt.want)
			}
		})
	}
}

func TestParseHost_Invalid(t *testing.T) {
	tests := []struct {
		in      string
		wantMsg string
	}{
		{"127.0.0.1:abc", `port "abc" is not a number in 1-65535`},
		{"127.0.0.1:99999", `port "99999"`},
		{"127.0.0.1:0", `port "0"`},
		{"127.0.0.1:-1", `port "-1"`},
		{"host:", `port ""`},
		{"ftp://host:21", `scheme "ftp" is not http or https`},
		{"tcp://127.0.0.1:11434", `scheme "tcp"`},
		{"exa mple.com", "not allowed in a host name"},
		{"user@host:11434", "not allowed in a host name"},
		{"host?x=1", "not allowed in a host name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := embed.ParseHost(tt.in)
			if err == nil {
				t.Fatalf("ParseHost(%q) succeeded, want an error", tt.in)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), "invalid Ollama host") {
				t.Errorf("ParseHost(%q) error %q, want it to contain %q", tt.in, err, tt.wantMsg)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     embed.Config
		wantMsg string // "" means valid
	}{
		{"minimal", embed.Config{Model: "glove-100d"}, ""},
		{"full", embed.Config{Host: "https://ollama.internal", Model: "nomic-embed-text", BatchSize: 8,
			KeepAlive: ptr(time.Minute), RequestTimeout: time.Second, MaxRetries: -1,
			LoadTimeout: time.Minute, Concurrency: 4, ContextTokens: 512}, ""},
		{"no model", embed.Config{}, "model is required"},
		{"blank model", embed.Config{Model: " "}, "model is required"},
		{"negative batch", embed.Config{Model: "m", BatchSize: -1}, "batch size -1 is negative"},
		{"negative timeout", embed.Config{Model: "m", RequestTimeout: -time.Second}, "request timeout -1s is negative"},
		{"negative load timeout", embed.Config{Model: "m", LoadTimeout: -time.Second}, "load timeout -1s is negative"},
		{"negative concurrency", embed.Config{Model: "m", Concurrency: -1}, "concurrency -1 is negative"},
		{"negative context", embed.Config{Model: "m", ContextTokens: -1}, "context tokens -1 is negative"},
		{"bad host", embed.Config{Model: "m", Host: "localhost:abc"}, `invalid Ollama host "localhost:abc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := embed.New(tt.cfg)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if c.Model() != tt.cfg.Model {
					t.Errorf("Model() = %q, want %q", c.Model(), tt.cfg.Model)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("New: err = %v, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestClient_Host(t *testing.T) {
	c, err := embed.New(embed.Config{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Host(), "http://127.0.0.1:11434"; got != want {
		t.Errorf("Host() = %q, want %q", got, want)
	}
}
