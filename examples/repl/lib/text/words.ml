// Counting and shaping words.

function count(text) {
    return len(text.split());
}

function title(text) {
    words = [];
    for (word in text.split()) {
        words.append(word.capitalize());
    }
    return " ".join(words);
}
