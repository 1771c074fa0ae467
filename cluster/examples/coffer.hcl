# /etc/coffer/coffer.hcl on node "coffer-1" of a three-node on-prem cluster.
# The same file, with node_id and addresses changed, goes on coffer-2 and coffer-3.
# It is also a valid OpenBao config: `bao server -config=/etc/coffer/coffer.hcl`.

storage "raft" {
  path    = "/var/lib/coffer/data"
  node_id = "coffer-1"

  # Each node lists the others; a node that is not yet a member asks them for a join
  # challenge, and joins once key holders unseal it with the cluster's shares.
  retry_join {
    leader_api_addr = "https://coffer-2.example.internal:8200"
  }
  retry_join {
    leader_api_addr = "https://coffer-3.example.internal:8200"
  }
}

listener "tcp" {
  address         = "0.0.0.0:8200"
  # Raft, snapshots and request forwarding: mutual TLS with certificates the cluster
  # issues itself from a CA it creates at `operator init` and keeps behind the barrier.
  # Nothing to provision here; allow 8201/tcp between the nodes only.
  cluster_address = "0.0.0.0:8201"

  # The API listener's certificate (see make-api-tls in this folder).
  tls_cert_file   = "/etc/coffer/tls/coffer-1.crt"
  tls_key_file    = "/etc/coffer/tls/coffer-1.key"
  tls_min_version = "tls12"
}

api_addr     = "https://coffer-1.example.internal:8200"
cluster_addr = "https://coffer-1.example.internal:8201"

# Keep secrets out of swap (needs CAP_IPC_LOCK, granted in the systemd unit).
disable_mlock = false
log_level     = "info"
