-- Per-conversation plugin state (sentiment trend, the agent's last route), saved with each turn's
-- commit so it is exactly as durable as the transcript. Covered by the conversations RLS policy.
ALTER TABLE conversations ADD COLUMN memory jsonb NOT NULL DEFAULT '{}'::jsonb;
