print("flexnic")
