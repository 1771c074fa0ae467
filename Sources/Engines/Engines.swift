// Engines: KV v1/v2 and cubbyhole land here.
