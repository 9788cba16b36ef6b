print("flextcp")
