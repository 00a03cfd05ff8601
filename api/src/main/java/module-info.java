/**
 * The engine-neutral core of betalab: tensors with reverse-mode gradients, the backend SPI,
 * neural-network building blocks, and the extension points (losses, β schemes, policies, optimizers,
 * tasks).
 */
module betalab.api {
    requires transitive com.google.guice;
    requires transitive jakarta.inject;
    requires org.slf4j;
    // The float32 matrix kernel (tensor.jvm.VectorGemm) also uses jdk.incubator.vector where the JVM
    // has it (--add-modules jdk.incubator.vector), and the plain-Java kernels where it does not. It is
    // compiled with --add-reads (api/pom.xml) and read at run time (Matmul), not required here: even a
    // `requires static` would put the incubator into the compilation of every plugin built against this
    // module, whose javac then warns about it.

    exports betalab.api;
    exports betalab.api.tensor;
    exports betalab.api.nn;
    exports betalab.api.random;
    exports betalab.api.preference;
    exports betalab.api.optim;
    exports betalab.api.policy;
    exports betalab.api.registry;
    exports betalab.api.task;

    uses betalab.api.tensor.TensorBackend;
    uses betalab.api.registry.Extension;
    provides betalab.api.tensor.TensorBackend with betalab.api.tensor.jvm.JvmBackend;
}
