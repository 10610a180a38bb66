-- Each deal is credited once (last touch): no deal_id on two conversations.
select
    deal_id,
    count(*) as conversations
from {{ ref('fct_conversations') }}
where deal_id is not null
group by deal_id
having count(*) > 1
