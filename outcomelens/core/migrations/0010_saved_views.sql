-- Saved views (accounts/saved_views.py): a named dashboard link (page path and query string: the
-- shareable URL state) per user, optionally shared with every signed-in user ("the team").
create table ops.saved_views (
    view_id bigserial primary key,
    owner_sub text not null,  -- the verified token's subject (a user id, or a service token's sub)
    name text not null check (length(name) between 1 and 100),
    href text not null check (left(href, 1) = '/' and length(href) <= 2000),
    shared boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (owner_sub, name)
);
create index saved_views_shared on ops.saved_views (shared) where shared;
