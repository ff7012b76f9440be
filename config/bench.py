"""GET /bench/ping: a bare JSON view, the yardstick of the API load benchmark (bench/api).

It runs through the whole middleware stack and touches neither the database nor the broker, so
bench/api/run.py can give each endpoint's throughput as a share of what Django itself manages
on the same machine in the same run. Only routed when settings.BENCH_ENDPOINTS is true (the
benchmark's settings, bench/api/settings.py); everywhere else /bench/ping is a 404.
"""

from django.http import JsonResponse


def ping(request):
    return JsonResponse({"status": "ok"})
