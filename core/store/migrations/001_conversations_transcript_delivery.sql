-- Conversations, the transcript, and the durable delivery path (inbox + outbox).
-- Every tenant-owned row carries tenant_id; row-level security arrives with the tenancy work.

CREATE TABLE conversations (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  channel text NOT NULL,
  instance text NOT NULL,
  external_id text NOT NULL,
  user_id text NOT NULL,
  user_name text,
  locale text,
  status text NOT NULL DEFAULT 'open',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_activity_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, instance, external_id)
);
CREATE INDEX conversations_tenant_activity ON conversations (tenant_id, last_activity_at DESC);

-- The transcript: every inbound and outbound message, with the turn that produced or consumed it.
-- Outbound messages carry seq, the per-conversation order web chat resumes from.
CREATE TABLE messages (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  conversation_id text NOT NULL REFERENCES conversations (id),
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  turn_id text NOT NULL,
  seq integer,
  platform_msg_id text,
  sender_id text NOT NULL,
  sender_role text NOT NULL,
  kind text NOT NULL,
  text text NOT NULL,
  parts jsonb NOT NULL,
  annotations jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX messages_conversation_seq ON messages (conversation_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX messages_conversation_time ON messages (tenant_id, conversation_id, created_at);

-- Inbox: dedup key outlives the platform's redelivery horizon; pending rows are turns that were
-- accepted but not yet completed, replayed after a crash or restart.
CREATE TABLE inbox (
  tenant_id text NOT NULL,
  instance text NOT NULL,
  platform_msg_id text NOT NULL,
  conversation_id text NOT NULL,
  turn_id text NOT NULL,
  message_id text NOT NULL,
  activity jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  received_at timestamptz NOT NULL,
  done_at timestamptz,
  PRIMARY KEY (tenant_id, instance, platform_msg_id)
);
-- Turn ids are time-ordered: replaying pending turns by turn_id replays them in arrival order.
CREATE INDEX inbox_pending ON inbox (turn_id) WHERE status = 'pending';
CREATE INDEX inbox_done_at ON inbox (done_at) WHERE status <> 'pending';

-- Outbox: a reply is persisted here (with its transcript row) before any attempt to send it.
CREATE TABLE outbox (
  id text PRIMARY KEY REFERENCES messages (id),
  tenant_id text NOT NULL,
  conversation_id text NOT NULL,
  instance text NOT NULL,
  seq integer NOT NULL,
  -- parked: nobody could receive it (a web-chat visitor who left); the transcript keeps it for resume.
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'parked', 'failed', 'unknown')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error text,
  created_at timestamptz NOT NULL,
  sent_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (tenant_id, instance, next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_conversation ON outbox (conversation_id, seq) WHERE status = 'pending';
