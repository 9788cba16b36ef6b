print("flexbench")
