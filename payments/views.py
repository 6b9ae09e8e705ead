"""The Stripe webhook endpoint. Payers' pages belong to the deposit and invoice flows."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import webhooks


@csrf_exempt  # Stripe signs the body instead; there is no session to protect
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = webhooks.verify(request.body, request.headers.get("Stripe-Signature"))
    except webhooks.BadSignature:
        return JsonResponse(
            {"errors": [{"field": None, "code": "bad_signature", "message": "The Stripe signature is missing, wrong or too old."}]},
            status=400,
        )
    row = webhooks.receive(event)
    return JsonResponse({"received": row.event_id, "outcome": row.outcome})
