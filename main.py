"""Train a stage of the keras_mnist7 study on MNIST, or use a trained model.

    python main.py --stage=m5
    python main.py --mode=predict --model=pretrained/m5.keras --images=samples
    python main.py --help

The flags and modes are keras_mnist7/cli.py's; `keras-mnist7` (pip install -e .) is the same.
"""

from absl import flags

from keras_mnist7 import cli

flags.adopt_module_key_flags(cli)

if __name__ == "__main__":
    cli.run()
