-- converted ⇔ a deal is credited, and a credited deal always carries the contact it came through.
select
    conversation_id,
    converted,
    deal_id,
    contact_id
from {{ ref('fct_conversations') }}
where (converted and deal_id is null)
    or (not converted and deal_id is not null)
    or (deal_id is not null and contact_id is null)
