// A recursion without a base case: stopped by the depth limit (max_depth=).
function down(n) {
    return down(n + 1);
}
down(0);
