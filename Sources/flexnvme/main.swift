print("flexnvme")
