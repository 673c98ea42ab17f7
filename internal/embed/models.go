package embed

import (
	"context"
	"fmt"
	"strings"
)

// Models lists the names of the models the Ollama server has, without the
// ":latest" tag Ollama adds to untagged names, so that a message about a
// missing model can name those that look like it (a typo such as
// "glove-100" for "glove-100d"). One request, bounded by RequestTimeout.
func (c *Client) Models(ctx context.Context) ([]string, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.api.List(actx)
	if err != nil {
		return nil, fmt.Errorf("list models on Ollama at %s: %w", c.addr, err)
	}
	names := make([]string, 0, len(resp.Models))
	for _, m := range resp.Models {
		names = append(names, strings.TrimSuffix(m.Name, ":latest"))
	}
	return names, nil
}
