/** β schemes: the estimators that give each preference pair its β. Sees only the api. */
module betalab.models {
    // transitive: the schemes' public signatures are api types (BetaEstimator, Tensor, Module)
    requires transitive betalab.api;
    // transitive: LlamaConfig's JSON form is a Jackson tree
    requires transitive com.fasterxml.jackson.databind;
    // the Hugging Face tokenizers library, an automatic module
    requires ai.djl.tokenizers;
    requires org.slf4j;

    exports betalab.models;
    exports betalab.models.hf;
    exports betalab.models.transformer;

    provides betalab.api.registry.Extension with betalab.models.BetaSchemesExtension,
            betalab.models.PoliciesExtension;
}
