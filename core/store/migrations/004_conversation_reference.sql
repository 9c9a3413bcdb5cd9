-- What a channel needs to send into a conversation later, from any replica and after a restart
-- (a Teams serviceUrl and conversation reference, a Telegram chat id and type). Written by the
-- channel when it first sees the conversation and whenever the platform changes it.
ALTER TABLE conversations ADD COLUMN reference jsonb;
