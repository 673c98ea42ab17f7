package weaviatestore

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weaviate/weaviate/entities/models"
)

// Issue 25: Weaviate counts QUORUM over the replicas on nodes its
// memberlist holds alive, so with two of three nodes gone a QUORUM write
// was acknowledged by one replica. The store asks the coordinating node
// which replicas it sees and refuses such a write itself. A fake node
// answers the schema and node status; the batch itself goes to a closed
// gRPC port, so a write that was let through fails differently.
func TestStore_writeRefusedWithoutEnoughReplicas(t *testing.T) {
	node := func(name, status string) map[string]any {
		return map[string]any{"name": name, "status": status,
			"shards": []map[string]any{{"class": "SemsearchP_c", "name": "s1", "objectCount": 1}}}
	}
	for _, tc := range []struct {
		name     string
		level    string
		factor   int
		nodes    []map[string]any
		status   int    // of /v1/nodes; 0 for 200
		refusal  string // in the error when the store refuses; "" when the write is let through
		statuses int64  // node status requests expected
	}{
		{"QUORUM, two of three down", "QUORUM", 3, []map[string]any{node("node1", "HEALTHY")}, 0, "1 of the 3 replicas are on live nodes (node1), 2 needed", 1},
		{"QUORUM, the survivor without a leader", "QUORUM", 3, []map[string]any{node("node1", "UNHEALTHY")}, 0, "1 of the 3 replicas are on live nodes (node1), 2 needed", 1},
		{"QUORUM, two killed, not yet declared dead", "QUORUM", 3, []map[string]any{node("node1", "UNHEALTHY"), {"name": "node2", "status": "UNAVAILABLE"}, {"name": "node3", "status": "UNAVAILABLE"}}, 0, "1 of the 3 replicas are on live nodes (node1), 2 needed", 1},
		// After one of three is killed the survivors' memberlist health
		// scores rise for a while (their probes to it failed), and a busy
		// survivor's status may time out: both still hold their replicas.
		{"QUORUM, one killed, a survivor UNHEALTHY", "QUORUM", 3, []map[string]any{node("node1", "HEALTHY"), node("node2", "UNHEALTHY"), {"name": "node3", "status": "UNAVAILABLE"}}, 0, "", 1},
		{"QUORUM, one killed, a survivor's status timed out", "QUORUM", 3, []map[string]any{node("node1", "HEALTHY"), {"name": "node2", "status": "TIMEOUT"}}, 0, "", 1},
		{"QUORUM, one of three down", "QUORUM", 3, []map[string]any{node("node1", "HEALTHY"), node("node2", "HEALTHY")}, 0, "", 1},
		{"ALL, one of three down", "ALL", 3, []map[string]any{node("node1", "HEALTHY"), node("node2", "HEALTHY")}, 0, "2 of the 3 replicas are on live nodes (node1, node2), 3 needed", 1},
		{"QUORUM, a node without the class does not count", "QUORUM", 3, []map[string]any{node("node1", "HEALTHY"), {"name": "node4", "status": "HEALTHY"}}, 0, "1 of the 3 replicas", 1},
		{"QUORUM, status unknown (a suspect node)", "QUORUM", 3, nil, http.StatusInternalServerError, "", 1},
		{"ONE asks nothing", "ONE", 3, []map[string]any{node("node1", "HEALTHY")}, 0, "", 0},
		{"factor 1 needs no check", "QUORUM", 1, []map[string]any{}, 0, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var statuses atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("GET /v1/schema/{class}", func(w http.ResponseWriter, r *http.Request) {
				// A read through the raft leader waits for one when most
				// nodes are down; the node's own schema does not.
				if r.Header.Get("consistency") != "false" {
					http.Error(w, `{"error":[{"message":"leader not found"}]}`, http.StatusInternalServerError)
					return
				}
				_ = json.NewEncoder(w).Encode(models.Class{Class: r.PathValue("class"),
					ReplicationConfig: &models.ReplicationConfig{Factor: int64(tc.factor)}})
			})
			mux.HandleFunc("GET /v1/nodes/{class}", func(w http.ResponseWriter, r *http.Request) {
				statuses.Add(1)
				if tc.status != 0 {
					http.Error(w, `{"error":[{"message":"node3: connection refused"}]}`, tc.status)
					return
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"nodes": tc.nodes})
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			s, err := Open(Options{Hosts: []Host{{HTTP: strings.TrimPrefix(srv.URL, "http://"), GRPC: closedPort(t)}},
				WriteConsistency: tc.level, Replication: tc.factor, Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = s.upsert(t.Context(), `put document "a.txt"`, []*models.Object{{Class: "SemsearchP_c", Properties: map[string]any{"doc_id": "a.txt"}}})
			if err == nil {
				t.Fatal("the write succeeded against a node with no gRPC port")
			}
			if tc.refusal != "" {
				want := `put document "a.txt": Weaviate write at consistency ` + tc.level + " failed"
				if !strings.Contains(err.Error(), tc.refusal) || !strings.Contains(err.Error(), want) {
					t.Errorf("error %q, want the refusal %q (%q)", err, tc.refusal, want)
				}
			} else if refusalRE.MatchString(err.Error()) {
				t.Errorf("the write was refused: %v", err)
			}
			if got := statuses.Load(); got != tc.statuses {
				t.Errorf("%d node status requests, want %d", got, tc.statuses)
			}
		})
	}
}

var refusalRE = regexp.MustCompile(`replicas are on [a-z]+ nodes .*\d needed`)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
