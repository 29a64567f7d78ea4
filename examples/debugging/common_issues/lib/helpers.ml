// An ML module: `import helpers;` finds it under a root given in ml_module_paths.
function vat(net) {
    return net * 0.2;
}
