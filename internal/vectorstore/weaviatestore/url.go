package weaviatestore

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ParseURL reads a store address:
//
//	weaviate://HOST:PORT[,HOST:PORT...][?grpc=PORT[,PORT...]&replication=N&write=QUORUM&read=ONE&prefix=Semsearch&timeout=10s]
//
// weaviates:// uses TLS. Several hosts are nodes of one cluster: reads fail
// over between them. Each node's gRPC port is given by grpc= (one per host,
// or one for all); without it, it is 50051 for HTTP port 8080 (Weaviate's
// defaults) and HTTP port + 42000 otherwise (make weaviate's layout: 8090 ->
// 50090). The API key is not part of the URL: set it in Options.APIKey.
func ParseURL(raw string) (Options, error) {
	var opt Options
	u, err := url.Parse(raw)
	if err != nil {
		return opt, fmt.Errorf("store URL %q: %w", raw, err)
	}
	switch u.Scheme {
	case "weaviate":
	case "weaviates":
		opt.TLS = true
	default:
		return opt, fmt.Errorf("store URL %q: scheme must be weaviate:// or weaviates://", raw)
	}
	if u.Host == "" {
		return opt, fmt.Errorf("store URL %q: no host", raw)
	}
	q := u.Query()
	var grpcPorts []string
	if g := q.Get("grpc"); g != "" {
		grpcPorts = strings.Split(g, ",")
	}
	hosts := strings.Split(u.Host, ",")
	if len(grpcPorts) > 1 && len(grpcPorts) != len(hosts) {
		return opt, fmt.Errorf("store URL %q: %d hosts but %d grpc ports", raw, len(hosts), len(grpcPorts))
	}
	for i, h := range hosts {
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			host = h
			port = "8080"
			if opt.TLS {
				port = "443"
			}
		}
		p, err := strconv.Atoi(port)
		if err != nil || host == "" {
			return opt, fmt.Errorf("store URL %q: bad host %q", raw, h)
		}
		var gp string
		switch {
		case len(grpcPorts) == 1:
			gp = grpcPorts[0]
		case len(grpcPorts) > 1:
			gp = grpcPorts[i]
		case p == 8080:
			gp = "50051"
		case opt.TLS && p == 443:
			gp = "443"
		default:
			gp = strconv.Itoa(p + 42000)
		}
		if _, err := strconv.Atoi(gp); err != nil {
			return opt, fmt.Errorf("store URL %q: bad grpc port %q", raw, gp)
		}
		opt.Hosts = append(opt.Hosts, Host{HTTP: net.JoinHostPort(host, port), GRPC: net.JoinHostPort(host, gp)})
	}
	if v := q.Get("replication"); v != "" {
		if opt.Replication, err = strconv.Atoi(v); err != nil || opt.Replication < 1 {
			return opt, fmt.Errorf("store URL %q: replication=%q: want a number >= 1", raw, v)
		}
	}
	opt.WriteConsistency = q.Get("write")
	opt.ReadConsistency = q.Get("read")
	opt.Prefix = q.Get("prefix")
	if v := q.Get("timeout"); v != "" {
		if opt.Timeout, err = time.ParseDuration(v); err != nil {
			return opt, fmt.Errorf("store URL %q: timeout=%q: %w", raw, v, err)
		}
	}
	return opt, nil
}
