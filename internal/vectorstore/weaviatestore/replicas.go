package weaviatestore

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate/entities/models"
)

// Weaviate counts a write's consistency level over the replicas whose nodes
// its memberlist holds alive at that moment, not over the class's
// replication factor: a node that left (SIGTERM: a graceful leave, at once)
// or was declared dead (SIGKILL: after failure detection, a few seconds) is
// dropped from the replica set, so with two of three nodes gone QUORUM
// means 1 of 1 and the write is acknowledged by a single replica, until the
// survivor notices it lost the raft leader and stalls instead. checkReplicas
// asks the node that will coordinate the write which replicas it sees
// before each write, and refuses the write when fewer than the level needs
// out of the factor are on live nodes.

// replicasNeeded returns how many of factor replicas a write at level
// needs.
func replicasNeeded(level string, factor int) int {
	switch level {
	case "ALL":
		return factor
	case "QUORUM":
		return factor/2 + 1
	}
	return 1
}

// checkReplicas fails with a rejected error when c sees fewer live nodes
// holding class than a write at the store's write consistency needs. When
// the node cannot tell (its status request fails: a node it still counts
// does not answer), the write goes ahead: Weaviate then counts that node
// too, so its own level is the promised one.
func (s *Store) checkReplicas(ctx context.Context, c *weaviate.Client, class string) error {
	if s.opt.WriteConsistency == "ONE" {
		return nil
	}
	factor, err := s.replicationFactor(ctx, c, class)
	if err != nil || factor <= 1 {
		return nil // the write itself reports a missing class
	}
	need := replicasNeeded(s.opt.WriteConsistency, factor)
	st, err := c.Cluster().NodesStatusGetter().WithClass(class).WithOutput("verbose").Do(ctx)
	if err != nil || st == nil {
		s.log.Debug("weaviate node status unknown; writing anyway", "class", class, "err", err)
		return nil
	}
	// A node listed is in the coordinator's memberlist, so Weaviate counts
	// its replica: it is live unless the coordinator could not reach it.
	// UNHEALTHY only says the node's memberlist health score is above 0,
	// as it is for a while on every survivor after a peer is killed (its
	// probes to the peer failed); a TIMEOUT node did not answer the status
	// request in time and says nothing of its shards. Counting either as
	// down refused writes that one killed node of three must not stop.
	var live []string
	for _, n := range st.Nodes {
		if n == nil || n.Status == nil {
			continue
		}
		switch *n.Status {
		case models.NodeStatusStatusTIMEOUT:
			live = append(live, n.Name)
		case models.NodeStatusStatusHEALTHY, models.NodeStatusStatusUNHEALTHY:
			if len(n.Shards) > 0 { // else it holds no replica of class
				live = append(live, n.Name)
			}
		}
	}
	if len(live) >= need {
		return nil
	}
	seen := "none"
	if len(live) > 0 {
		seen = strings.Join(live, ", ")
	}
	return rejected{fmt.Errorf("%d of the %d replicas are on live nodes (%s), %d needed", len(live), factor, seen, need)}
}

// replicationFactor returns the replication factor of class, read once
// from c's own copy of the schema: a read through the raft leader would
// wait for one exactly when too few nodes are up to elect it.
func (s *Store) replicationFactor(ctx context.Context, c *weaviate.Client, class string) (int, error) {
	s.keysMu.Lock()
	f, ok := s.factors[class]
	s.keysMu.Unlock()
	if ok {
		return f, nil
	}
	host := ""
	for i, n := range s.nodes {
		if n == c {
			host = s.opt.Hosts[i].HTTP
		}
	}
	scheme := "http"
	if s.opt.TLS {
		scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+host+"/v1/schema/"+url.PathEscape(class), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("consistency", "false") // this node's schema, without asking the leader
	if s.opt.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+s.opt.APIKey)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("schema of %s: %s", class, resp.Status)
	}
	var cl models.Class
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&cl); err != nil {
		return 0, fmt.Errorf("schema of %s: %w", class, err)
	}
	f = 1
	if cl.ReplicationConfig != nil && cl.ReplicationConfig.Factor > 0 {
		f = int(cl.ReplicationConfig.Factor)
	}
	s.keysMu.Lock()
	s.factors[class] = f
	s.keysMu.Unlock()
	return f, nil
}

// forgetFactor drops the cached factor of a deleted class.
func (s *Store) forgetFactor(class string) {
	s.keysMu.Lock()
	delete(s.factors, class)
	s.keysMu.Unlock()
}
