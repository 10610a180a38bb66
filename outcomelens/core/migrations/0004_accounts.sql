-- Accounts, sign-in and token governance (accounts/, outcomelens/core/tokens.py).

-- People who sign in. Only an argon2 hash of each password is kept; an email is unique whatever its case.
create table ops.users (
    user_id text primary key,
    email text not null,
    name text not null default '',
    role text not null check (role in
        ('admin', 'product_manager', 'prompt_engineer', 'operations', 'engineer', 'enablement')),
    status text not null default 'active' check (status in ('active', 'disabled')),
    password_hash text,
    created_at timestamptz not null default now(),
    last_seen_at timestamptz
);
create unique index users_email_key on ops.users (lower(email));

-- Refresh tokens (only their sha256). Each refresh rotates the token within its family; presenting a
-- rotated one again means it was stolen, and the whole family is revoked.
create table ops.refresh_tokens (
    token_hash text primary key,
    family_id text not null,
    user_id text not null references ops.users (user_id),
    issued_at timestamptz not null default now(),
    expires_at timestamptz not null,
    rotated_at timestamptz,
    revoked_at timestamptz
);
create index refresh_tokens_family on ops.refresh_tokens (family_id);
create index refresh_tokens_user on ops.refresh_tokens (user_id);

-- Access tokens revoked before they expire (by jti); rows past expires_at can be deleted.
create table ops.revoked_tokens (
    jti text primary key,
    sub text,
    expires_at timestamptz,
    reason text not null default '',
    revoked_at timestamptz not null default now()
);

-- Service tokens created explicitly with a lifetime over the default maximum (`outcomelens token --service`).
create table ops.service_tokens (
    jti text primary key,
    sub text not null,
    role text not null,
    expires_at timestamptz not null,
    created_at timestamptz not null default now()
);

-- Failed sign-ins per email (whether or not the email belongs to a user), for the lockout.
create table ops.login_failures (
    email text primary key,
    failures int not null default 0,
    first_failed_at timestamptz not null default now(),
    locked_until timestamptz
);

-- Every admin and sign-in event: who, what, when, from where. Append-only: updates and deletes raise.
create table ops.audit_log (
    event_id bigserial primary key,
    occurred_at timestamptz not null default now(),
    actor text not null,
    action text not null,
    target text,
    source text,
    detail jsonb not null default '{}'::jsonb
);
create function ops.audit_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'ops.audit_log is append-only';
end;
$$;
create trigger audit_log_append_only before update or delete or truncate on ops.audit_log
    for each statement execute function ops.audit_log_append_only();
