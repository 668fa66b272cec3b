// embedding.glsl: the index rule the embedding shaders share, as
// tensor.EmbeddingIndex: x selects row x when it is a whole number in
// 0..vocab-1, and no row (-1) otherwise.
int embedding_row(float x, uint vocab) {
    if (!(x >= 0.0 && x < float(vocab)) || x != trunc(x)) {
        return -1;
    }
    return int(x);
}
