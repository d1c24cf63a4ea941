"""How far apart are simple and deeper models on each offline data set?

Prints the validation accuracy of scikit-learn's reference models (their own
solvers, fixed seeds) on the course's splits of the 8x8 digits
(``load_digits``) and of the 5000 MNIST digits (``load_mnist5k``), upright and
each turned by a random angle (``rotate=True``): a linear
softmax classifier, one hidden layer of 100 units and three hidden layers of
256 units.  The README quotes these numbers.  Usage::

    python tests/benchmarks/compare_data.py
"""
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from cs231n.data import load_digits, load_mnist5k

MODELS = {
    "linear softmax": lambda: LogisticRegression(C=0.1, max_iter=500),
    "1 hidden layer (100)": lambda: MLPClassifier((100,), alpha=1e-4, max_iter=100,
                                                  random_state=0),
    "3 hidden layers (256)": lambda: MLPClassifier((256, 256, 256), alpha=1e-3,
                                                   max_iter=100, random_state=0),
}


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    loaders = (("digits 8x8", lambda: load_digits(bias_trick=False)),
               ("MNIST 5k", load_mnist5k),
               ("MNIST 5k rotated", lambda: load_mnist5k(rotate=True)))
    for name, loader in loaders:
        data = loader()
        sizes = f"{len(data['y_train'])} train, {len(data['y_val'])} val"
        for model_name, make in MODELS.items():
            start = time.perf_counter()
            model = make().fit(data["X_train"], data["y_train"])
            acc = model.score(data["X_val"], data["y_val"])
            print(f"{name:16s} ({sizes})  {model_name:22s} validation accuracy {acc:.3f}"
                  f"   ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
