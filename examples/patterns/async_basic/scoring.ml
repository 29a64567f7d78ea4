// Scores one loan application. The host passes `application`, a dict with the
// applicant's credit score and debt; the result is the decision the service returns.

function band(score) {
    if (score >= 700) { return "approve"; }
    if (score >= 600) { return "review"; }
    return "decline";
}

score = application.credit_score - application.debt / 1000;
result = {"id": application.id, "score": score, "decision": band(score)};
