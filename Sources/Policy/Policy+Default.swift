extension Policy {
    /// The `default` policy every new token gets unless it opts out. Same paths and capabilities as
    /// OpenBao 2.7.2's built-in default policy (`bao read sys/policies/acl/default`), in Coffer's own words.
    public static let defaultPolicyText = """
        # Coffer default policy: what every token may do to and about itself.

        # Token self-service: inspect, renew and revoke the calling token.
        path "auth/token/lookup-self" {
            capabilities = ["read"]
        }
        path "auth/token/renew-self" {
            capabilities = ["update"]
        }
        path "auth/token/revoke-self" {
            capabilities = ["update"]
        }

        # Ask which capabilities the calling token has on a path.
        path "sys/capabilities-self" {
            capabilities = ["update"]
        }

        # The caller's own identity entity, by id and by name (templated; skipped for tokens without one).
        path "identity/entity/id/{{identity.entity.id}}" {
            capabilities = ["read"]
        }
        path "identity/entity/name/{{identity.entity.name}}" {
            capabilities = ["read"]
        }

        # The merged ACL of the calling token, for user interfaces (internal, format may change).
        path "sys/internal/ui/resultant-acl" {
            capabilities = ["read"]
        }

        # Lease renewal and lookup by lease id given in the request body.
        path "sys/leases/renew" {
            capabilities = ["update"]
        }
        path "sys/leases/lookup" {
            capabilities = ["update"]
        }

        # The token's private cubbyhole.
        path "cubbyhole/*" {
            capabilities = ["create", "read", "update", "delete", "list"]
        }

        # Response wrapping: wrap a value, inspect a wrapping token, unwrap one.
        path "sys/wrapping/wrap" {
            capabilities = ["update"]
        }
        path "sys/wrapping/lookup" {
            capabilities = ["update"]
        }
        path "sys/wrapping/unwrap" {
            capabilities = ["update"]
        }

        # Hashing helper.
        path "sys/tools/hash" {
            capabilities = ["update"]
        }
        path "sys/tools/hash/*" {
            capabilities = ["update"]
        }

        # Authorization endpoint of OIDC providers.
        path "identity/oidc/provider/+/authorize" {
            capabilities = ["read", "update"]
        }
        """
}
