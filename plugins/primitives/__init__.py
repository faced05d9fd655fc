"""Primitive, math and collection nodes with InvokeAI's type and field names."""
