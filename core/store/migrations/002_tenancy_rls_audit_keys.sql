-- Tenant isolation below the application, API keys, and the append-only audit log.
--
-- The gateway never reads or writes tenant data as the role that owns these tables. Every
-- tenant-scoped transaction runs `SET LOCAL ROLE switchboard_app` and sets `switchboard.tenant`;
-- the policies below admit only that tenant's rows, and FORCE makes them hold for the owner too.
-- A query that forgets its tenant sees nothing and can write nothing.
-- switchboard_platform is a second, read-only role for the two cross-tenant reads the gateway
-- needs: finding an API key by its hash before the tenant is known, and listing audited tenants.

DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'switchboard_app') THEN CREATE ROLE switchboard_app NOLOGIN NOBYPASSRLS; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'switchboard_platform') THEN CREATE ROLE switchboard_platform NOLOGIN NOBYPASSRLS; END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO switchboard_app, switchboard_platform', current_schema());
END $$;

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  name text NOT NULL,
  role text NOT NULL,
  -- sha256 of the whole key; the key itself is shown once and never stored.
  hash text NOT NULL UNIQUE,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

-- Hash-chained per tenant: hash = sha256(prev_hash || canonical entry). Platform-wide entries
-- (no tenant) use the chain '_platform', which no tenant id can spell.
CREATE TABLE audit_log (
  tenant_id text NOT NULL,
  seq bigint NOT NULL,
  id text NOT NULL UNIQUE,
  at timestamptz NOT NULL,
  actor_type text NOT NULL,
  actor_id text NOT NULL,
  action text NOT NULL,
  target text,
  outcome text NOT NULL,
  request_id text,
  source text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at);

CREATE FUNCTION switchboard_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION switchboard_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION switchboard_audit_append_only();

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['conversations', 'messages', 'inbox', 'outbox', 'api_keys', 'audit_log'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I TO switchboard_app USING (tenant_id = current_setting(''switchboard.tenant'', true)) WITH CHECK (tenant_id = current_setting(''switchboard.tenant'', true))', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON conversations, messages, inbox, outbox, api_keys TO switchboard_app;
GRANT SELECT, INSERT ON audit_log TO switchboard_app;
GRANT SELECT ON api_keys, audit_log TO switchboard_platform;
CREATE POLICY platform_read ON api_keys FOR SELECT TO switchboard_platform USING (true);
CREATE POLICY platform_read ON audit_log FOR SELECT TO switchboard_platform USING (true);
