"""The REST API Lambda: thin routes → logic in `api.logic` → adapters in `api.adapters`."""
