"""`{% my_flags %}`: the logged-in athlete's flags in plain words, for the athlete's home page."""

from django import template

from athletes.context import active_membership
from athletes.selectors import athlete_profile_of

register = template.Library()


@register.inclusion_tag("assessments/_my_flags.html", takes_context=True)
def my_flags(context) -> dict:
    from assessments.views_results import my_flags_for

    request = context.get("request")
    membership = active_membership(request) if request is not None else None
    if membership is None:
        return {"my_flags": []}
    organisation = membership.organisation
    profile = athlete_profile_of(request.user, organisation=organisation)
    return {"my_flags": my_flags_for(request.user, organisation, profile), "request": request}
