"""The normalizer in child processes with a CPU and memory budget per image: `parent.SandboxedNormalizer`.

Empty on purpose: the child (`python -m worker.normalize.sandbox.child`) imports this package first, and
must not pay for the parent's imports (Powertools, which loads botocore).
"""
