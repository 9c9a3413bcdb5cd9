-- Customers (one person across channels), tickets with their history, and the durable handoff
-- state machine a human agent works from. Everything here is tenant data under the same RLS policy.

CREATE TABLE customers (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  display_name text,
  -- 0 = not a VIP; higher is served first. Where the level came from decides who may overwrite
  -- it: an admin's choice is never replaced by a rule or a lookup.
  vip_level integer NOT NULL DEFAULT 0 CHECK (vip_level BETWEEN 0 AND 9),
  vip_source text NOT NULL DEFAULT 'default' CHECK (vip_source IN ('default', 'rule', 'lookup', 'admin')),
  language text,
  tags text[] NOT NULL DEFAULT '{}',
  -- A customer merged into another keeps its row (tickets and ratings may name it) and points on.
  merged_into text REFERENCES customers (id) CHECK (merged_into <> id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_tenant_name ON customers (tenant_id, lower(display_name));

-- The same person on WeChat and web chat is one customer with two identities.
CREATE TABLE customer_identities (
  tenant_id text NOT NULL,
  channel text NOT NULL,
  instance text NOT NULL,
  user_id text NOT NULL,
  customer_id text NOT NULL REFERENCES customers (id),
  display_name text,
  linked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, instance, user_id)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

CREATE TABLE customer_ratings (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  customer_id text NOT NULL REFERENCES customers (id),
  conversation_id text REFERENCES conversations (id),
  handoff_id text,
  score integer NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_ratings_customer ON customer_ratings (customer_id, created_at);

ALTER TABLE conversations ADD COLUMN customer_id text REFERENCES customers (id);
CREATE INDEX conversations_customer ON conversations (customer_id) WHERE customer_id IS NOT NULL;

-- Per-tenant counters (ticket numbers): one row per (tenant, name), incremented in place.
CREATE TABLE tenant_counters (
  tenant_id text NOT NULL,
  name text NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (tenant_id, name)
);

CREATE TABLE tickets (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  number bigint NOT NULL,
  -- What the customer was told (`T-1042`): fixed at creation, so a later prefix change in the
  -- ticketing config does not rename tickets customers already know.
  reference text NOT NULL,
  customer_id text REFERENCES customers (id),
  subject text NOT NULL,
  description text,
  priority text NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'pending', 'resolved', 'closed')),
  source text NOT NULL,
  assignee text,
  vip_level integer NOT NULL DEFAULT 0,
  first_response_due_at timestamptz NOT NULL,
  resolve_due_at timestamptz NOT NULL,
  first_responded_at timestamptz,
  resolved_at timestamptz,
  closed_at timestamptz,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Optimistic concurrency: an update names the version it read.
  version integer NOT NULL DEFAULT 1,
  UNIQUE (tenant_id, number)
);
CREATE INDEX tickets_tenant_status ON tickets (tenant_id, status, resolve_due_at);
CREATE INDEX tickets_customer ON tickets (customer_id);

-- Every change to a ticket, in order: who, when, which fields from what to what.
CREATE TABLE ticket_events (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  ticket_id text NOT NULL REFERENCES tickets (id),
  at timestamptz NOT NULL DEFAULT now(),
  actor_type text NOT NULL,
  actor_id text NOT NULL,
  actor_name text,
  kind text NOT NULL,
  changes jsonb NOT NULL DEFAULT '{}'::jsonb,
  note text
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, at);

CREATE TABLE ticket_conversations (
  tenant_id text NOT NULL,
  ticket_id text NOT NULL REFERENCES tickets (id),
  conversation_id text NOT NULL REFERENCES conversations (id),
  linked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ticket_id, conversation_id)
);
CREATE INDEX ticket_conversations_conversation ON ticket_conversations (conversation_id);

-- One row per time a conversation went to a human. At most one is live per conversation: the
-- partial unique index is what makes entering the queue idempotent across replicas.
CREATE TABLE handoffs (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  conversation_id text NOT NULL REFERENCES conversations (id),
  customer_id text REFERENCES customers (id),
  channel text NOT NULL,
  instance text NOT NULL,
  state text NOT NULL CHECK (state IN ('queued', 'assigned', 'agent_active', 'resolved', 'abandoned')),
  reason text NOT NULL,
  vip_level integer NOT NULL DEFAULT 0,
  -- 0 low … 3 urgent: the linked ticket's priority when it has one.
  ticket_priority integer NOT NULL DEFAULT 1,
  ticket_id text REFERENCES tickets (id),
  language text,
  agent_id text,
  agent_name text,
  queued_at timestamptz NOT NULL,
  assigned_at timestamptz,
  first_response_at timestamptz,
  last_customer_at timestamptz,
  last_agent_at timestamptz,
  ended_at timestamptz,
  end_reason text,
  version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX handoffs_live ON handoffs (conversation_id) WHERE state IN ('queued', 'assigned', 'agent_active');
-- The queue's order: VIP level, then ticket priority, then who has waited longest.
CREATE INDEX handoffs_queue ON handoffs (tenant_id, vip_level DESC, ticket_priority DESC, queued_at) WHERE state = 'queued';
CREATE INDEX handoffs_tenant_state ON handoffs (tenant_id, state, queued_at);

-- Internal notes agents leave on a conversation: never sent to the customer.
CREATE TABLE conversation_notes (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  conversation_id text NOT NULL REFERENCES conversations (id),
  author_id text NOT NULL,
  author_name text,
  text text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversation_notes_conversation ON conversation_notes (conversation_id, created_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['customers', 'customer_identities', 'customer_ratings', 'tenant_counters', 'tickets', 'ticket_events', 'ticket_conversations', 'handoffs', 'conversation_notes'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I TO switchboard_app USING (tenant_id = current_setting(''switchboard.tenant'', true)) WITH CHECK (tenant_id = current_setting(''switchboard.tenant'', true))', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON customers, customer_identities, customer_ratings, tenant_counters, tickets, ticket_conversations, handoffs, conversation_notes TO switchboard_app;
-- A ticket's history is append-only for the application.
GRANT SELECT, INSERT ON ticket_events TO switchboard_app;
