// Scores a loan application; returns a decision object the host validates.
// [scoring]
function score(app) {
    points = 0;
    if (app.income >= 3 * app.monthly_payment * 12) { points = points + 50; }
    if (app.years_employed >= 2) { points = points + 30; }
    if (len(app.previous_defaults) == 0) { points = points + 20; }
    return points;
}

points = score(application);
result = {
    approved: points >= 70,
    score: points,
    reasons: points >= 70 ? [] : ["score " + points + " is below 70"]
};
// [/scoring]
