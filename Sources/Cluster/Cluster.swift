// Cluster: transport, Raft runtime and forwarding land here.
