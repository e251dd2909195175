"""The citizen's pages of the identity peer: 实名认证 and 企业信息核验 (under 账户设置)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from integrations.errors import PeerError
from integrations.identity import selectors, services
from integrations.identity.forms import EnterpriseLookupForm, RealNameForm
from integrations.identity.models import RealNameCheck

Result = RealNameCheck.Result
RESULT_MESSAGES = {
    Result.MISMATCHED: gettext_lazy("核验未通过：姓名与身份证号码不一致，请核对后重新填写。"),
    Result.NOT_FOUND: gettext_lazy("核验未通过：人口库中查无此身份证号码，请核对后重新填写。"),
    Result.DECEASED: gettext_lazy("核验未通过：该身份证号码已注销。"),
    Result.UNAVAILABLE: gettext_lazy("人口库暂时无法访问，本次未能核验，请稍后再试。"),
}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def real_name(request):
    """实名认证: the account's badge, the form, and its own recent checks."""
    outcome = None
    if request.method == "POST":
        form = RealNameForm(request.POST)
        if form.is_valid():
            try:
                check, asked = services.check_real_name(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    id_number=form.cleaned_data["id_number"],
                )
            except services.RealNameRefused as refused:
                form.add_error(None, refused.message)
            else:
                if check.result == Result.MATCHED:
                    messages.success(request, _("实名认证成功。"))
                    return redirect("identity:real_name")
                outcome = {"result": check.result, "message": RESULT_MESSAGES[check.result], "asked": asked}
    else:
        form = RealNameForm(initial={"name": request.user.real_name})
    context = {
        "form": form,
        "outcome": outcome,
        "status": selectors.real_name_status(request.user),
        "checks": selectors.checks_of(request.user, limit=10),
        "valid_days": services.valid_days(),
    }
    # 200 even when the peer is down: the page itself works and says what happened.
    return render(request, "identity/real_name.html", context)


@never_cache
@login_required
@require_http_methods(["GET"])
def enterprise_lookup(request):
    """企业信息核验: the legal-person register's record of a USCC."""
    record = None
    unavailable = False
    searched = "uscc" in request.GET
    form = EnterpriseLookupForm(request.GET if searched else None)
    if searched and form.is_valid():
        try:
            record = services.lookup_enterprise(form.cleaned_data["uscc"])
        except PeerError:
            unavailable = True
    context = {
        "form": form,
        "searched": searched and form.is_valid(),
        "record": record,
        "unavailable": unavailable,
    }
    return render(request, "identity/enterprise_lookup.html", context)
