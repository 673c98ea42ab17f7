package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/urfave/cli/v2"

	"github.com/semsearch/semsearch/internal/embed"
	"github.com/semsearch/semsearch/internal/httpapi"
	"github.com/semsearch/semsearch/internal/mcpserver"
	"github.com/semsearch/semsearch/internal/vectorstore"
	"github.com/semsearch/semsearch/internal/webui"
)

func mcpCommand() *cli.Command {
	return &cli.Command{
		Name:  "mcp",
		Usage: "serve the Model Context Protocol over stdio (for Claude Desktop, Cursor, VS Code and other MCP clients)",
		Description: "Reads MCP messages on stdin and answers on stdout; logs go to stderr. Tools: search, get_document,\n" +
			"list_collections, status, and with --writes add_documents and delete_document. Without --writes the store\n" +
			"is opened read-only, so it runs beside `semsearch serve` (which also serves MCP at /mcp).",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "writes", Usage: "enable the add_documents and delete_document tools (opens the store for writing)"},
			idleCloseFlag(),
		},
		Action: runMCP,
	}
}

func runMCP(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("mcp: takes no arguments")
	}
	a, err := open(c, c.Bool("writes"))
	if err != nil {
		return err
	}
	defer a.Close()
	srv, err := mcpserver.New(mcpserver.Config{
		Engine: newCollectionEngines(a), Checker: a.embed, Collection: a.cfg.collection, ValidCollection: vectorstore.ValidName,
		Model: a.cfg.emb.model, Writes: c.Bool("writes"), Version: version(), Logger: a.cfg.logger,
		Unavailable: []error{embed.ErrUnreachable, embed.ErrModelMissing},
	})
	if err != nil {
		return err
	}
	a.cfg.logger.Info("serving MCP on stdio", "collection", a.cfg.collection, "writes", c.Bool("writes"))
	err = srv.RunStdio(c.Context, io.NopCloser(c.App.Reader), nopWriteCloser{c.App.Writer})
	return errors.Join(err, a.Close())
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// frontdoorFlags are serve's flags for the MCP endpoint and the search page.
func frontdoorFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "mcp-writes", Usage: "enable the MCP tools add_documents and delete_document at /mcp"},
		&cli.BoolFlag{Name: "page", Usage: "serve the search page at / (--page=false turns it off)", Value: true},
		&cli.StringFlag{Name: "public-url", Usage: "scheme and host clients reach the server at, for absolute links (default: from each request)", EnvVars: []string{"SEMSEARCH_PUBLIC_URL"}},
	}
}

// frontdoors builds serve's MCP endpoint and search page, and sets the
// API's links to the page.
func frontdoors(c *cli.Context, cfg *config, eng servedEngine, client *embed.Client, logger *slog.Logger, api *httpapi.Config) error {
	m, err := mcpserver.New(mcpserver.Config{
		Engine: eng, Checker: client, Collection: cfg.collection, ValidCollection: vectorstore.ValidName,
		Model: cfg.emb.model, Writes: c.Bool("mcp-writes"), Version: version(),
		CrossOriginTrusted: c.StringSlice("cors-origin"), HostsChecked: true, Logger: logger, // httpapi checks Host (--allowed-hosts)
		Unavailable: []error{embed.ErrUnreachable, embed.ErrModelMissing},
	})
	if err != nil {
		return err
	}
	h, err := m.Handler()
	if err != nil {
		return err
	}
	api.Frontdoors = append(api.Frontdoors, httpapi.Frontdoor{Path: "/mcp", Methods: []string{http.MethodPost}, Handler: h})
	api.PublicURL = c.String("public-url")
	if !c.Bool("page") {
		return nil
	}
	page, err := webui.New(webui.Config{
		Engine: eng, Collection: cfg.collection, ValidCollection: vectorstore.ValidName, APIKey: c.String("api-key"),
		Unavailable: []error{embed.ErrUnreachable, embed.ErrModelMissing}, Logger: logger,
	})
	if err != nil {
		return fmt.Errorf("search page: %w", err)
	}
	api.PassageLink = webui.PassagePath
	api.Frontdoors = append(api.Frontdoors,
		httpapi.Frontdoor{Path: webui.SearchPath, Methods: []string{http.MethodGet}, Handler: http.HandlerFunc(page.ServeSearch), OwnAuth: true},
		httpapi.Frontdoor{Path: webui.DocPath, Methods: []string{http.MethodGet}, Handler: http.HandlerFunc(page.ServeDoc), OwnAuth: true},
		httpapi.Frontdoor{Path: webui.KeyPath, Methods: []string{http.MethodPost}, Handler: http.HandlerFunc(page.ServeKey), OwnAuth: true},
	)
	return nil
}
