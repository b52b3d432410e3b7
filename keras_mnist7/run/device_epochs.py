"""Training with the whole dataset on the accelerator (JAX backend only).

`fit` on arrays slices every batch on the host and copies it to the device: on a GPU, for a
network this small, the copies and the Python around each step cost more than the step. Here
the uint8 images go to the device once; each epoch is shuffled there (a permutation keyed by
the run's seed and the epoch) and trained by one compiled `lax.scan` over its batches, the
augmentation inside the step (the model's own random layers: the arrays path). Keras'
stateless API carries the weights, the optimizer's state and the random layers' seeds through
the scan, and the model's variables hold the result at the end, so it saves and reloads as any
other. Evaluation runs on the device as well, in batches of up to 1,000.
"""

import math
import time

import keras
import numpy as np

EVAL_BATCH = 1000


def _variables(model):
    return ([v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            [v.value for v in model.optimizer.variables])


def _learning_rate_index(optimizer):
    """Where the optimizer keeps a plain learning rate among its variables (step decay sets it
    each epoch); None when a schedule computes it from the step count."""
    rate = getattr(optimizer, "_learning_rate", None)
    for index, variable in enumerate(optimizer.variables):
        if variable is rate:
            return index
    return None


def train_on_device(model, recipe, data, seed):
    """Trains the compiled `model` (compiled_model's, on the arrays path) on ((x_train,
    y_train), (x_test, y_test)) uint8 arrays for the recipe's epochs. Returns one
    row per epoch: train_seconds, eval_seconds (each waited out on the device), train loss and
    accuracy as it trained, test loss and accuracy."""
    import jax
    import jax.numpy as jnp

    if keras.config.backend() != "jax":
        raise ValueError("train_on_device needs KERAS_BACKEND=jax")
    (x_train, y_train), (x_test, y_test) = data
    x, y = jax.device_put(x_train[..., None]), jax.device_put(y_train.astype("int32"))
    eval_batch = math.gcd(len(x_test), EVAL_BATCH)  # batches of one size: one compiled step
    x_eval = jax.device_put(x_test[..., None].reshape(-1, eval_batch, *x_test.shape[1:], 1))
    y_eval = jax.device_put(y_test.astype("int32").reshape(-1, eval_batch))
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    rate_index = _learning_rate_index(optimizer)
    batch, count = recipe.batch_size, len(x_train)
    full = count // batch

    def loss_of(trainable, non_trainable, images, labels):
        probabilities, non_trainable = model.stateless_call(trainable, non_trainable, images,
                                                            training=True)
        losses = keras.losses.sparse_categorical_crossentropy(labels, probabilities)
        return jnp.mean(losses), (probabilities, non_trainable)

    gradient = jax.value_and_grad(loss_of, has_aux=True)

    def step(state, indices, x, y):
        trainable, non_trainable, optimizer_state, loss_sum, correct = state
        images, labels = x[indices], y[indices]
        (loss, (probabilities, non_trainable)), grads = gradient(trainable, non_trainable,
                                                                 images, labels)
        trainable, optimizer_state = optimizer.stateless_apply(optimizer_state, grads, trainable)
        hits = jnp.sum(jnp.argmax(probabilities, axis=-1) == labels)
        return (trainable, non_trainable, optimizer_state, loss_sum + loss * len(indices),
                correct + hits)

    @jax.jit
    def epoch(state, key, x, y):
        order = jax.random.permutation(key, count)
        state, _ = jax.lax.scan(lambda s, i: (step(s, i, x, y), None), state,
                                order[:full * batch].reshape(full, batch))
        if full * batch < count:  # the last, smaller batch, as fit() trains it
            state = step(state, order[full * batch:], x, y)
        return state

    @jax.jit
    def evaluate(trainable, non_trainable, x_eval, y_eval):
        def one(pair):
            images, labels = pair
            # training=False said, not implied: Keras' random layers default to training.
            probabilities, _ = model.stateless_call(trainable, non_trainable, images,
                                                    training=False)
            losses = keras.losses.sparse_categorical_crossentropy(labels, probabilities)
            return jnp.sum(losses), jnp.sum(jnp.argmax(probabilities, axis=-1) == labels)

        losses, hits = jax.lax.map(one, (x_eval, y_eval))
        return jnp.sum(losses), jnp.sum(hits)

    trainable, non_trainable, optimizer_state = _variables(model)
    zero = jnp.zeros((), "float32")
    rows, key = [], jax.random.key(seed)
    for number in range(recipe.epochs):
        if rate_index is not None:
            optimizer_state[rate_index] = jnp.asarray(recipe.learning_rate(number), "float32")
        started = time.perf_counter()
        trainable, non_trainable, optimizer_state, loss_sum, correct = jax.block_until_ready(
            epoch((trainable, non_trainable, optimizer_state, zero, jnp.zeros((), "int32")),
                  jax.random.fold_in(key, number), x, y))
        trained = time.perf_counter()
        test_loss, test_hits = jax.block_until_ready(
            evaluate(trainable, non_trainable, x_eval, y_eval))
        rows.append({"train_seconds": trained - started,
                     "eval_seconds": time.perf_counter() - trained,
                     "loss": float(loss_sum) / count, "accuracy": float(correct) / count,
                     "test_loss": float(test_loss) / len(x_test),
                     "test_acc": round(100 * float(test_hits) / len(x_test), 2)})
    for variables, values in ((model.trainable_variables, trainable),
                              (model.non_trainable_variables, non_trainable),
                              (optimizer.variables, optimizer_state)):
        for variable, value in zip(variables, values):
            variable.assign(np.asarray(value))
    return rows
